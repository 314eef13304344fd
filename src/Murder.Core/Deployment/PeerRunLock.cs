using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace Murder.Core.Deployment;

/// <summary>
/// One peer run per tag and temp directory on a host: a second launch (a retry of a host that only
/// looked lost, or a run started by hand) would write the same TAG.tgz and extract into the same
/// DESTINATION/TAG. The lock is a file in Murder's state directory (locks/, named after the tag and
/// the temp directory), held open exclusively for the run (an advisory lock on Unix, a sharing lock
/// on Windows) and deleted when it closes: it ends with the process however that ends, and the
/// temp directory stays as the run leaves it.
/// </summary>
public sealed class PeerRunLock : IDisposable
{
    private readonly FileStream _file;

    private PeerRunLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>The lock file of a request: STATE/locks/peer-TAG-HASH.lock, HASH from the temp directory's full path.</summary>
    public static string PathOf(PeerRunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string temp = System.IO.Path.GetFullPath(request.TempPath);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(OperatingSystem.IsWindows() ? temp.ToUpperInvariant() : temp));
        return System.IO.Path.Combine(PeerRun.StateDirectory(request), "locks", $"peer-{request.Tag}-{Convert.ToHexString(hash, 0, 8).ToLowerInvariant()}.lock");
    }

    /// <summary>Takes the lock; throws PeerAlreadyRunning when another run holds it.</summary>
    public static PeerRunLock Acquire(PeerRunRequest request)
    {
        string path = PathOf(request);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        try
        {
            return new PeerRunLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose), path);
        }
        catch (IOException error) when (File.Exists(path))
        {
            throw new MurderException(
                "PeerAlreadyRunning",
                MurderErrorCategory.ResourceExists,
                $"{Environment.MachineName}: a Murder peer already runs for '{request.Tag}' with the temp directory '{request.TempPath}' (it holds '{path}'); nothing was started. Wait for it to end (Get-MurderDeploy shows it), or stop it on the host, then run again.",
                error)
            {
                TargetObject = request.Tag,
            };
        }
    }

    /// <summary>Throws PeerAlreadyRunning if a run holds the lock now; takes nothing.</summary>
    public static void EnsureFree(PeerRunRequest request)
    {
        using PeerRunLock probe = Acquire(request);
    }

    /// <summary>Releases the lock and deletes its file.</summary>
    public void Dispose() => _file.Dispose();
}
