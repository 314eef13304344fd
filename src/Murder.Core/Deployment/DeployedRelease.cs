using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace Murder.Core.Deployment;

/// <summary>
/// Which release (info-hash) a peer put at a target directory, kept in Murder's state directory
/// (STATE/releases, one small file per target) rather than in the release, whose tree must stay
/// exactly the artifact's. A peer run again for the same torrent and target finds it there and
/// succeeds without downloading; anything else at a non-empty target is still DestinationNotEmpty.
/// </summary>
public static class DeployedRelease
{
    /// <summary>Whether <paramref name="target"/> is non-empty and was filled by a run of <paramref name="infoHash"/>.</summary>
    public static bool Holds(string stateDirectory, string target, string infoHash)
    {
        try
        {
            string path = MarkerPath(stateDirectory, target);
            if (!File.Exists(path) || !Directory.Exists(target))
            {
                return false;
            }

            string[] lines = File.ReadAllLines(path);
            using var entries = Directory.EnumerateFileSystemEntries(target).GetEnumerator();
            return lines.Length >= 2 && string.Equals(lines[0], infoHash, StringComparison.OrdinalIgnoreCase) && lines[1] == Path.GetFullPath(target) && entries.MoveNext();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Records that <paramref name="target"/> now holds <paramref name="infoHash"/> (replaced whole).</summary>
    public static void Record(string stateDirectory, string target, string infoHash)
    {
        string path = MarkerPath(stateDirectory, target);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string partial = path + ".tmp";
        File.WriteAllText(partial, infoHash + "\n" + Path.GetFullPath(target) + "\n");
        File.Move(partial, path, overwrite: true);
    }

    private static string MarkerPath(string stateDirectory, string target)
    {
        // One file per target path, named by its hash: any path, any length, any platform.
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(target)));
        return Path.Combine(stateDirectory, "releases", Convert.ToHexString(hash, 0, 16).ToLowerInvariant() + ".txt");
    }
}
