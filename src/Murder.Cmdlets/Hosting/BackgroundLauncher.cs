using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Murder.Core;
using Murder.Core.Fleet;
using Murder.Core.Hosting;

namespace Murder.Cmdlets.Hosting;

/// <summary>
/// Starts a Murder tracker or seeder in a detached process that outlives this session (Murder ran
/// them under screen). The process is the module's agent (a small program, a fraction of
/// PowerShell's memory and start-up: native on Linux x64, else Murder.Agent.dll on a dotnet host;
/// see <see cref="AgentLocator"/>), and otherwise this same PowerShell (-NoProfile -NonInteractive,
/// the module imported by path, the cmdlet run with -Foreground). MURDER_BACKGROUND_HOST forces
/// one (native, managed, agent or pwsh). Output goes to a
/// log in the state directory. Returns once the child has recorded itself in the
/// <see cref="BackgroundProcessStore"/> (it does so when it is ready), or throws with the error the
/// child reported.
/// </summary>
internal static class BackgroundLauncher
{
    /// <summary>The environment variable that forces the background host: native, managed, agent or pwsh.</summary>
    public const string HostVariable = AgentLocator.HostVariable;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Starts <paramref name="command"/> (a cmdlet the agent also runs) in the background.</summary>
    /// <param name="store">Murder's state directory.</param>
    /// <param name="kind">The record kind the child saves.</param>
    /// <param name="name">The record name the child saves.</param>
    /// <param name="command">Start-MurderTracker or Start-MurderSeeding.</param>
    /// <param name="parameters">The cmdlet's parameters (-Foreground is implied).</param>
    /// <param name="timeout">How long the child may take to become ready.</param>
    /// <param name="cancellationToken">Stops waiting (and the child).</param>
    /// <param name="environment">Variables for the child only (secrets).</param>
    /// <param name="agentOnly">Parameters only the agent understands (hints it may use).</param>
    /// <param name="agentEnvironment">Variables for the agent only (runtime settings PowerShell must not get).</param>
    public static BackgroundProcessRecord Start(
        BackgroundProcessStore store,
        string kind,
        string name,
        string command,
        IReadOnlyList<KeyValuePair<string, object?>> parameters,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<KeyValuePair<string, object?>>? agentOnly = null,
        IReadOnlyDictionary<string, string>? agentEnvironment = null)
    {
        string logPath = store.LogPath(kind, name);
        string? forced = Environment.GetEnvironmentVariable(HostVariable);
        if (FindAgent() is AgentHost agent)
        {
            try
            {
                using Process child = DetachedProcess.Launch(store, agent.Executable, DetachedProcess.AgentArguments(agent, command, parameters.Concat(agentOnly ?? Array.Empty<KeyValuePair<string, object?>>()), logPath), logPath, Merge(environment, agentEnvironment));
                return WaitUntilRecorded(store, kind, name, child, logPath, timeout, cancellationToken);
            }
            catch (MurderException error) when (error.ErrorId == "BackgroundProcessFailed" && forced is not ("agent" or "native" or "managed"))
            {
                // The agent could not run at all (no error of its own): PowerShell can.
            }
        }

        string script = Script(ModulePath(), PowerShellArguments.Invocation(command, parameters), OperatingSystem.IsWindows() ? logPath : null);
        string encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        (string executable, string[] prefix) = PowerShellExecutable();
        var pwshArguments = new List<string>(prefix) { "-NoProfile", "-NonInteractive", "-OutputFormat", "Text", "-EncodedCommand", encoded };
        using Process process = DetachedProcess.Launch(store, executable, pwshArguments, logPath, environment);
        return WaitUntilRecorded(store, kind, name, process, logPath, timeout, cancellationToken);
    }

    /// <summary>
    /// The agent for this machine (<see cref="AgentLocator"/>: native on Linux x64, else on a dotnet
    /// host), or null when none can run here (or MURDER_BACKGROUND_HOST=pwsh). Throws
    /// BackgroundHostNotFound when MURDER_BACKGROUND_HOST forces an agent that cannot run.
    /// </summary>
    internal static AgentHost? FindAgent() =>
        Path.GetDirectoryName(typeof(BackgroundLauncher).Assembly.Location) is { Length: > 0 } binDirectory ? AgentLocator.Find(binDirectory) : null;

    private static BackgroundProcessRecord WaitUntilRecorded(BackgroundProcessStore store, string kind, string name, Process process, string logPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        int processId = process.Id;
        var clock = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                BackgroundProcessRecord? record = store.Get(kind, name);
                if (record is not null && record.ProcessId == processId)
                {
                    return record;
                }

                if (process.HasExited)
                {
                    throw DetachedProcess.ChildFailed(kind, name, logPath);
                }

                if (clock.Elapsed > timeout)
                {
                    DetachedProcess.Kill(process);
                    throw new MurderException("BackgroundProcessStartTimeout", MurderErrorCategory.OperationStopped, $"The {kind} {name} did not report ready within {timeout.TotalSeconds:0} s; it was stopped. Its log: {logPath}. {DetachedProcess.Tail(logPath)}")
                    {
                        TargetObject = logPath,
                    };
                }

                cancellationToken.WaitHandle.WaitOne(PollInterval);
                if (cancellationToken.IsCancellationRequested)
                {
                    DetachedProcess.Kill(process);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch (Exception) when (!process.HasExited && store.Get(kind, name)?.ProcessId != processId)
        {
            DetachedProcess.Kill(process);
            throw;
        }
    }

    /// <summary>The script the child runs; errors become one machine-readable line in the log.</summary>
    private static string Script(string modulePath, string invocation, string? logPath)
    {
        string body =
            "$ErrorActionPreference = 'Stop'\n" +
            "$ProgressPreference = 'SilentlyContinue'\n" +
            "try {\n" +
            $"    Import-Module -Name {PowerShellArguments.Quote(modulePath)}\n" +
            $"    {invocation}\n" +
            "} catch {\n" +
            $"    [Console]::Error.WriteLine('{DetachedProcess.ErrorMarker}' + $_.FullyQualifiedErrorId.Split(',')[0] + ' ' + $_.CategoryInfo.Category + ' ' + $_.Exception.Message)\n" +
            "    exit 1\n" +
            "}\n";
        if (logPath is null)
        {
            return body;
        }

        // Windows: the child writes its own log (shell execution cannot redirect).
        return "& {\n" + body.Replace("[Console]::Error.WriteLine(", "Write-Output (", StringComparison.Ordinal) + "} *>> " + PowerShellArguments.Quote(logPath) + "\n";
    }

    /// <summary>
    /// The PowerShell running this session: pwsh itself, or under `dotnet pwsh` the dotnet muxer
    /// plus pwsh.dll (Environment.ProcessPath is then dotnet, the first argument the dll).
    /// </summary>
    internal static (string Executable, string[] Prefix) PowerShellExecutable()
    {
        string? processPath = Environment.ProcessPath;
        if (processPath is not null)
        {
            string fileName = Path.GetFileNameWithoutExtension(processPath);
            if (fileName.Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                string first = Environment.GetCommandLineArgs()[0];
                if (first.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && File.Exists(first))
                {
                    return (processPath, new[] { first });
                }
            }
            else if (fileName.Equals("pwsh", StringComparison.OrdinalIgnoreCase))
            {
                return (processPath, Array.Empty<string>());
            }
        }

        // Hosted elsewhere: the pwsh on PATH.
        return (OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh", Array.Empty<string>());
    }

    /// <summary>This module's manifest (out/Murder/Murder.psd1 beside bin/), or the cmdlet assembly itself.</summary>
    private static string ModulePath()
    {
        string assembly = typeof(BackgroundLauncher).Assembly.Location;
        string? binDirectory = Path.GetDirectoryName(assembly);
        string? moduleDirectory = binDirectory is null ? null : Path.GetDirectoryName(binDirectory);
        if (moduleDirectory is not null)
        {
            string manifest = Path.Combine(moduleDirectory, "Murder.psd1");
            if (File.Exists(manifest))
            {
                return manifest;
            }
        }

        return assembly;
    }

    private static Dictionary<string, string>? Merge(IReadOnlyDictionary<string, string>? first, IReadOnlyDictionary<string, string>? second)
    {
        if (first is null && second is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>();
        foreach (KeyValuePair<string, string> variable in (first ?? new Dictionary<string, string>()).Concat(second ?? new Dictionary<string, string>()))
        {
            merged[variable.Key] = variable.Value;
        }

        return merged;
    }
}
