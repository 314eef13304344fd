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
/// them under screen). The process is the module's agent (Murder.Agent.dll on a dotnet host: a
/// small program, a fraction of PowerShell's memory and start-up) when a dotnet host is found, and
/// otherwise this same PowerShell (-NoProfile -NonInteractive, the module imported by path, the
/// cmdlet run with -Foreground). MURDER_BACKGROUND_HOST=agent or =pwsh forces one. Output goes to a
/// log in the state directory. Returns once the child has recorded itself in the
/// <see cref="BackgroundProcessStore"/> (it does so when it is ready), or throws with the error the
/// child reported.
/// </summary>
internal static class BackgroundLauncher
{
    /// <summary>The environment variable that forces the background host: agent or pwsh.</summary>
    public const string HostVariable = "MURDER_BACKGROUND_HOST";

    private const string ErrorMarker = "MURDER-ERROR ";
    private const string AgentFileName = "Murder.Agent.dll";
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
    public static BackgroundProcessRecord Start(
        BackgroundProcessStore store,
        string kind,
        string name,
        string command,
        IReadOnlyList<KeyValuePair<string, object?>> parameters,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<KeyValuePair<string, object?>>? agentOnly = null)
    {
        string logPath = store.LogPath(kind, name);
        string? forced = Environment.GetEnvironmentVariable(HostVariable);
        if (FindAgent() is AgentHost agent)
        {
            try
            {
                using Process child = Launch(store, agent.Dotnet, AgentArguments(agent, command, parameters.Concat(agentOnly ?? Array.Empty<KeyValuePair<string, object?>>()), logPath), logPath, environment);
                return WaitUntilRecorded(store, kind, name, child, logPath, timeout, cancellationToken);
            }
            catch (MurderException error) when (error.ErrorId == "BackgroundProcessFailed" && forced is not "agent")
            {
                // The agent could not run at all (no error of its own): PowerShell can.
            }
        }

        string script = Script(ModulePath(), PowerShellArguments.Invocation(command, parameters), OperatingSystem.IsWindows() ? logPath : null);
        string encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        (string executable, string[] prefix) = PowerShellExecutable();
        var pwshArguments = new List<string>(prefix) { "-NoProfile", "-NonInteractive", "-OutputFormat", "Text", "-EncodedCommand", encoded };
        using Process process = Launch(store, executable, pwshArguments, logPath, environment);
        return WaitUntilRecorded(store, kind, name, process, logPath, timeout, cancellationToken);
    }

    /// <summary>
    /// The agent and a dotnet host to run it, or null when either is missing (or
    /// MURDER_BACKGROUND_HOST=pwsh). Throws BackgroundHostNotFound when MURDER_BACKGROUND_HOST=agent
    /// and the agent cannot run.
    /// </summary>
    internal static AgentHost? FindAgent()
    {
        string? forced = Environment.GetEnvironmentVariable(HostVariable);
        string? dotnet = forced is "pwsh" ? null : DotNetHost.Find();
        string? agent = AgentPath();
        if (forced is "agent" && (dotnet is null || agent is null))
        {
            throw new MurderException(
                "BackgroundHostNotFound",
                MurderErrorCategory.ObjectNotFound,
                $"{HostVariable}=agent, but {(agent is null ? AgentFileName + " is not in the module's bin folder" : "no dotnet host with a .NET " + DotNetHost.MinimumMajorVersion + "+ runtime was found (DOTNET_ROOT, PATH)")}. Unset {HostVariable} to let the module use pwsh.");
        }

        return dotnet is not null && agent is not null ? new AgentHost(dotnet, agent) : null;
    }

    /// <summary>Starts the agent detached, its output in the log of kind/name; the caller follows it.</summary>
    internal static Process LaunchAgent(BackgroundProcessStore store, string kind, string name, AgentHost agent, string command, IEnumerable<KeyValuePair<string, object?>> parameters)
    {
        string logPath = store.LogPath(kind, name);
        return Launch(store, agent.Dotnet, AgentArguments(agent, command, parameters, logPath), logPath, null);
    }

    /// <summary>`Murder.Agent.dll COMMAND -Name value ...` (-Foreground is implied).</summary>
    private static List<string> AgentArguments(AgentHost agent, string command, IEnumerable<KeyValuePair<string, object?>> parameters, string logPath)
    {
        var arguments = new List<string> { agent.Path, command };
        foreach (KeyValuePair<string, object?> parameter in parameters)
        {
            if (parameter.Key != "Foreground" && parameter.Value is not null)
            {
                arguments.Add("-" + parameter.Key);
                arguments.Add(Convert.ToString(parameter.Value, CultureInfo.InvariantCulture) ?? string.Empty);
            }
        }

        if (OperatingSystem.IsWindows())
        {
            arguments.Add("-LogPath");
            arguments.Add(logPath);
        }

        return arguments;
    }

    private static Process Launch(
        BackgroundProcessStore store,
        string executable,
        List<string> arguments,
        string logPath,
        IReadOnlyDictionary<string, string>? environment)
    {
        Directory.CreateDirectory(store.LogDirectory);
        Directory.CreateDirectory(store.StateDirectory);
        File.WriteAllText(logPath, string.Empty);
        ProcessStartInfo start;
        if (OperatingSystem.IsWindows())
        {
            // Shell execution inherits no handles, so the child holds none of this session's pipes.
            start = new ProcessStartInfo(executable) { UseShellExecute = true, WindowStyle = ProcessWindowStyle.Hidden };
        }
        else
        {
            // sh redirects the child's output to the log and execs it (same process id); setsid
            // puts it in its own session, so Ctrl+C and a closed terminal do not reach it.
            string setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : File.Exists("/bin/setsid") ? "/bin/setsid" : string.Empty;
            start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"log=\"$1\"; shift; exec {setsid} \"$@\" </dev/null >>\"$log\" 2>&1");
            start.ArgumentList.Add("murder-launch");
            start.ArgumentList.Add(logPath);
            start.ArgumentList.Add(executable);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.WorkingDirectory = store.StateDirectory;
        // Secrets reach the child through its environment, never its command line (which any user can list).
        var saved = new Dictionary<string, string?>();
        foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
        {
            if (start.UseShellExecute)
            {
                saved[variable.Key] = Environment.GetEnvironmentVariable(variable.Key);
                Environment.SetEnvironmentVariable(variable.Key, variable.Value);
            }
            else
            {
                start.Environment[variable.Key] = variable.Value;
            }
        }

        Process? started;
        try
        {
            started = Process.Start(start);
        }
        finally
        {
            foreach (KeyValuePair<string, string?> variable in saved)
            {
                Environment.SetEnvironmentVariable(variable.Key, variable.Value);
            }
        }

        return started ?? throw new MurderException("BackgroundProcessFailed", MurderErrorCategory.NotSpecified, $"Could not start {executable}.");
    }

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
                    throw ChildFailed(kind, name, logPath);
                }

                if (clock.Elapsed > timeout)
                {
                    Kill(process);
                    throw new MurderException("BackgroundProcessStartTimeout", MurderErrorCategory.OperationStopped, $"The {kind} {name} did not report ready within {timeout.TotalSeconds:0} s; it was stopped. Its log: {logPath}. {Tail(logPath)}")
                    {
                        TargetObject = logPath,
                    };
                }

                cancellationToken.WaitHandle.WaitOne(PollInterval);
                if (cancellationToken.IsCancellationRequested)
                {
                    Kill(process);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch (Exception) when (!process.HasExited && store.Get(kind, name)?.ProcessId != processId)
        {
            Kill(process);
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
            $"    [Console]::Error.WriteLine('{ErrorMarker}' + $_.FullyQualifiedErrorId.Split(',')[0] + ' ' + $_.CategoryInfo.Category + ' ' + $_.Exception.Message)\n" +
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

    /// <summary>The agent beside the cmdlet assembly (with its runtimeconfig), or null.</summary>
    private static string? AgentPath()
    {
        string? binDirectory = Path.GetDirectoryName(typeof(BackgroundLauncher).Assembly.Location);
        if (binDirectory is null)
        {
            return null;
        }

        string agent = Path.Combine(binDirectory, AgentFileName);
        return File.Exists(agent) && File.Exists(Path.ChangeExtension(agent, ".runtimeconfig.json")) ? agent : null;
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

    internal static MurderException ChildFailed(string kind, string name, string logPath)
    {
        string log = ReadLog(logPath);
        string? line = log.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(ErrorMarker, StringComparison.Ordinal));
        if (line is not null)
        {
            string[] parts = line[ErrorMarker.Length..].Split(' ', 3);
            if (parts.Length == 3)
            {
                MurderErrorCategory category = Enum.TryParse(parts[1], out MurderErrorCategory parsed) ? parsed : MurderErrorCategory.NotSpecified;
                return new MurderException(parts[0], category, parts[2]) { TargetObject = logPath };
            }
        }

        return new MurderException("BackgroundProcessFailed", MurderErrorCategory.NotSpecified, $"The {kind} {name} exited before it was ready. Its log ({logPath}) ends: {Tail(logPath)}")
        {
            TargetObject = logPath,
        };
    }

    private static string Tail(string logPath)
    {
        string[] lines = ReadLog(logPath).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(empty)" : string.Join(" | ", lines.TakeLast(5));
    }

    private static string ReadLog(string logPath)
    {
        try
        {
            using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }
}

/// <summary>The agent (Murder.Agent.dll) and the dotnet host that runs it.</summary>
internal sealed record AgentHost(string Dotnet, string Path);
