using System;
using System.IO;

namespace Murder.Core.Deployment;

/// <summary>
/// One peer run per tag and temp directory on a host: a second launch (a retry of a host that only
/// looked lost, or a run started by hand) would write the same TAG.tgz and extract into the same
/// DESTINATION/TAG. The lock is TAG.tgz.lock beside the artifact, held open exclusively for the
/// run (an advisory lock on Unix, a sharing lock on Windows): it ends with the process, however
/// that ends, so a crash leaves nothing to clean.
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

    /// <summary>The lock file of a request: TEMP/TAG.tgz.lock.</summary>
    public static string PathOf(PeerRunRequest request) => PeerRun.ArtifactPath(request) + ".lock";

    /// <summary>Takes the lock; throws PeerAlreadyRunning when another run holds it.</summary>
    public static PeerRunLock Acquire(PeerRunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string path = PathOf(request);
        Directory.CreateDirectory(request.TempPath);
        try
        {
            return new PeerRunLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1), path);
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

    /// <summary>Releases the lock (the file stays: deleting it would let two runs lock two different files).</summary>
    public void Dispose() => _file.Dispose();
}
