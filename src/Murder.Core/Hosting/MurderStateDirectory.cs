using System;
using System.IO;

namespace Murder.Core.Hosting;

/// <summary>
/// Where Murder keeps its state (background-process records, their logs, the tracker's torrents):
/// $MURDER_STATE_DIR if set; else %LOCALAPPDATA%\Murder on Windows; else $XDG_STATE_HOME/murder
/// or ~/.local/state/murder.
/// </summary>
public static class MurderStateDirectory
{
    /// <summary>The environment variable that overrides the location.</summary>
    public const string EnvironmentVariable = "MURDER_STATE_DIR";

    /// <summary>Resolves the directory (not created).</summary>
    public static string Resolve()
    {
        string? explicitPath = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
        }

        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "Murder");
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "murder");
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "murder");
    }
}
