using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;

namespace Murder.Core.Hosting;

/// <summary>
/// Chooses the agent a background process runs in, from the module's bin folder: on Linux x64 the
/// native agent (bin/linux-x64/murder-agent: no .NET runtime, milliseconds and a few MB to start),
/// elsewhere, or when that file is missing, not executable or cannot run here (glibc older than
/// 2.34), Murder.Agent.dll on a dotnet host
/// with a .NET 8+ runtime; with neither, null (the caller uses pwsh). MURDER_BACKGROUND_HOST
/// overrides the choice: <c>native</c> or <c>managed</c> only that agent, <c>agent</c> either
/// (native first), <c>pwsh</c> no agent; a forced agent that cannot run is an error.
/// </summary>
public static class AgentLocator
{
    /// <summary>The environment variable that forces the background host.</summary>
    public const string HostVariable = "MURDER_BACKGROUND_HOST";

    private static readonly ConcurrentDictionary<string, bool> Runs = new(StringComparer.Ordinal);

    /// <summary>The folder of the native agent for this machine (linux-x64), or null where there is none.</summary>
    public static string? NativeRuntimeIdentifier() =>
        NativeRuntimeIdentifier(OperatingSystem.IsLinux(), RuntimeInformation.OSArchitecture);

    /// <summary>The folder of the native agent for an operating system and architecture, or null where the module ships none.</summary>
    public static string? NativeRuntimeIdentifier(bool isLinux, Architecture architecture) =>
        isLinux && architecture == Architecture.X64 ? "linux-x64" : null;

    /// <summary>The agent for this machine, by the rules above.</summary>
    /// <param name="binDirectory">The module's bin folder (Murder.Agent.dll, RID/murder-agent).</param>
    public static AgentHost? Find(string binDirectory) =>
        Find(binDirectory, Environment.GetEnvironmentVariable(HostVariable), NativeRuntimeIdentifier(), DotNetHost.Find);

    /// <summary>The agent by the rules above, every input given (for tests).</summary>
    /// <param name="binDirectory">The module's bin folder.</param>
    /// <param name="forced">The value of MURDER_BACKGROUND_HOST, or null.</param>
    /// <param name="nativeRuntimeIdentifier">This machine's native agent folder, or null.</param>
    /// <param name="findDotnet">Finds a usable dotnet host (called only when the managed agent is wanted).</param>
    public static AgentHost? Find(string binDirectory, string? forced, string? nativeRuntimeIdentifier, Func<string?> findDotnet)
    {
        ArgumentNullException.ThrowIfNull(binDirectory);
        ArgumentNullException.ThrowIfNull(findDotnet);
        string mode = forced?.Trim().ToLowerInvariant() ?? string.Empty;
        if (mode == "pwsh")
        {
            return null;
        }

        string? native = mode == "managed" ? null : NativePath(binDirectory, nativeRuntimeIdentifier);
        if (native is not null)
        {
            return AgentHost.Native(native);
        }

        if (mode == "native")
        {
            throw NotFound($"{HostVariable}=native, but {(nativeRuntimeIdentifier is null ? "this machine has no native agent (Linux x64 only)" : Path.Combine(binDirectory, nativeRuntimeIdentifier, AgentHost.NativeFileName) + " is missing or not executable")}");
        }

        string assembly = Path.Combine(binDirectory, AgentHost.AssemblyFileName);
        bool hasAssembly = File.Exists(assembly) && File.Exists(Path.ChangeExtension(assembly, ".runtimeconfig.json"));
        string? dotnet = hasAssembly ? findDotnet() : null;
        if (dotnet is not null)
        {
            return AgentHost.Managed(dotnet, assembly);
        }

        if (mode is "agent" or "managed")
        {
            throw NotFound($"{HostVariable}={mode}, but {(hasAssembly ? "no dotnet host with a .NET " + DotNetHost.MinimumMajorVersion + "+ runtime was found (DOTNET_ROOT, PATH)" : AgentHost.AssemblyFileName + " is not in the module's bin folder")}");
        }

        return null;
    }

    private static string? NativePath(string binDirectory, string? nativeRuntimeIdentifier)
    {
        if (nativeRuntimeIdentifier is null || OperatingSystem.IsWindows())
        {
            return null;
        }

        string path = Path.Combine(binDirectory, nativeRuntimeIdentifier, AgentHost.NativeFileName);
        try
        {
            // A module copied without its modes (a zip, some uploads) has a plain file here: use dotnet then.
            const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return File.Exists(path) && (File.GetUnixFileMode(path) & AnyExecute) != 0 && Runs.GetOrAdd(path, CanRun) ? path : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the native agent starts here at all, asked once per process: it needs glibc 2.34 or
    /// later (it is linked on Debian 12), so on an older system the loader refuses it (exit 127), as
    /// it does on a file system mounted noexec (the start fails). Run without arguments, the agent
    /// only prints its usage.
    /// </summary>
    private static bool CanRun(string path)
    {
        var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        try
        {
            using Process probe = Process.Start(start)!;
            probe.StandardInput.Close();
            _ = probe.StandardOutput.ReadToEndAsync();
            _ = probe.StandardError.ReadToEndAsync();
            if (!probe.WaitForExit(10_000))
            {
                probe.Kill();
                return false;
            }

            return probe.ExitCode is not (126 or 127);
        }
        catch (Exception error) when (error is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    private static MurderException NotFound(string problem) =>
        new("BackgroundHostNotFound", MurderErrorCategory.ObjectNotFound, $"{problem}. Unset {HostVariable} to let the module choose.");
}
