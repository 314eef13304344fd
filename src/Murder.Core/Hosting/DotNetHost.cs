using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace Murder.Core.Hosting;

/// <summary>
/// Finds a `dotnet` host able to run the module's agent (a framework-dependent net8.0 program):
/// the host running this process (pwsh as a .NET tool), the installation the running runtime came
/// from, DOTNET_ROOT, PATH and the usual install folders, in that order. A candidate counts only
/// when it carries a Microsoft.NETCore.App runtime of version 8 or later. PowerShell installed from
/// its own packages is self-contained and brings no such host; the launcher then uses pwsh.
/// </summary>
public static class DotNetHost
{
    /// <summary>The oldest runtime the agent runs on.</summary>
    public const int MinimumMajorVersion = 8;

    private static readonly string ExecutableName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

    /// <summary>The dotnet executable to use, or null when none qualifies.</summary>
    public static string? Find()
    {
        foreach (string candidate in Candidates())
        {
            string? host = Qualify(candidate);
            if (host is not null)
            {
                return host;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="path"/> names a dotnet host (dotnet, dotnet.exe), not another program.</summary>
    public static bool IsHostExecutable(string path) =>
        Path.GetFileName(path).Equals(ExecutableName, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="dotnetRoot"/> holds a dotnet executable and a runtime of version 8 or later.</summary>
    public static bool IsUsableRoot(string dotnetRoot)
    {
        if (!File.Exists(Path.Combine(dotnetRoot, ExecutableName)))
        {
            return false;
        }

        string runtimes = Path.Combine(dotnetRoot, "shared", "Microsoft.NETCore.App");
        if (!Directory.Exists(runtimes))
        {
            return false;
        }

        foreach (string directory in Directory.EnumerateDirectories(runtimes))
        {
            string version = Path.GetFileName(directory);
            int dot = version.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && int.TryParse(version.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int major) && major >= MinimumMajorVersion)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<string> Candidates()
    {
        // pwsh as a .NET tool (`dotnet pwsh`): this very process is the host.
        if (Environment.ProcessPath is string processPath && IsHostExecutable(processPath))
        {
            yield return processPath;
        }

        // The installation this runtime came from: ROOT/shared/Microsoft.NETCore.App/VERSION/.
        string runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string? root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtimeDirectory)));
        if (!string.IsNullOrEmpty(root))
        {
            yield return Path.Combine(root, ExecutableName);
        }

        foreach (string variable in new[] { "DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_ROOT_ARM64" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                yield return Path.Combine(value, ExecutableName);
            }
        }

        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            yield return Path.Combine(directory, ExecutableName);
        }

        if (OperatingSystem.IsWindows())
        {
            yield return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "dotnet", ExecutableName);
        }
        else
        {
            yield return "/usr/share/dotnet/dotnet";
            yield return "/usr/lib/dotnet/dotnet";
            yield return "/usr/local/share/dotnet/dotnet";
            yield return "/opt/dotnet/dotnet";
        }
    }

    private static string? Qualify(string candidate)
    {
        try
        {
            if (!File.Exists(candidate))
            {
                return null;
            }

            // /usr/bin/dotnet is usually a link into the installation.
            string resolved = File.ResolveLinkTarget(candidate, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(candidate);
            string? root = Path.GetDirectoryName(resolved);
            return root is not null && IsUsableRoot(root) ? resolved : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
