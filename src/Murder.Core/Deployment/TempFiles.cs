using System;
using System.Collections.Generic;
using System.IO;

namespace Murder.Core.Deployment;

/// <summary>A deploy's temporary files on one host, removed by the agent that used them once it ends.</summary>
public static class TempFiles
{
    /// <summary>
    /// Removes each file that exists; one that cannot be removed (another process on this host
    /// still holds it open on Windows, for example the seeder) is logged and left, never an error.
    /// </summary>
    public static void Remove(IEnumerable<string> paths, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (string path in paths)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                log?.Invoke($"Could not remove the temporary file '{path}': {error.Message}");
            }
        }
    }
}
