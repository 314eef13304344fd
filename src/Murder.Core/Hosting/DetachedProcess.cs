using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Murder.Core.Hosting;

/// <summary>
/// Starts Murder's background processes detached from whoever started them (a PowerShell session,
/// an SSH session), their output in a log in the state directory, and reads back why one failed:
/// a child that fails writes one line `MURDER-ERROR ErrorId Category message` before it exits.
/// </summary>
public static class DetachedProcess
{
    /// <summary>The start of the line a failing child writes last.</summary>
    public const string ErrorMarker = "MURDER-ERROR ";

    /// <summary>
    /// The environment of an agent that moves an artifact (a peer or a seeder): no tiered
    /// compilation, so every method is compiled once, optimized, at its first call. With tiering,
    /// each of the many agents on a busy host kept re-compiling hot methods in the background
    /// during the transfer: 20 to 28% of a peer's CPU (perf, swarm benchmark, N=8); without it the
    /// peers used 10% less CPU per GB and an agent still starts in under 0.15 s. The tracker keeps
    /// tiering (its request path is short and runs millions of times). Re-measured in the N=16 swarm:
    /// with tiering 94.8 s and 43.0 CPU s per GB, without 73.8 s and 33.2.
    /// And socket completions run on the thread that polls the sockets (Linux) instead of each
    /// being handed to the thread pool: a peer's work per message is short (a lock, a copy, a
    /// few requests; hashing and writes go elsewhere), and with 32 connections per peer the hand-offs
    /// were most of its user CPU. N=32 swarm: 192 s and 45.2 CPU s per GB before, 164.9 s and 41.0 after.
    /// </summary>
    public static IReadOnlyDictionary<string, string> TransferEnvironment { get; } = new Dictionary<string, string>
    {
        ["DOTNET_TieredCompilation"] = "0",
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
    };

    /// <summary>`[Murder.Agent.dll] COMMAND -Name value ...` for <see cref="AgentHost.Executable"/> (-Foreground is implied).</summary>
    public static List<string> AgentArguments(AgentHost agent, string command, IEnumerable<KeyValuePair<string, object?>> parameters, string logPath)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var arguments = new List<string>();
        if (!agent.IsNative)
        {
            arguments.Add(agent.AssemblyPath!);
        }

        arguments.Add(command);
        foreach (KeyValuePair<string, object?> parameter in parameters)
        {
            if (parameter.Key != "Foreground" && parameter.Value is not null)
            {
                arguments.Add("-" + parameter.Key);
                arguments.Add(parameter.Value is string[] items ? string.Join(',', items) : Convert.ToString(parameter.Value, CultureInfo.InvariantCulture) ?? string.Empty);
            }
        }

        if (OperatingSystem.IsWindows())
        {
            arguments.Add("-LogPath");
            arguments.Add(logPath);
        }

        return arguments;
    }

    /// <summary>Starts <paramref name="executable"/> detached, its output appended to <paramref name="logPath"/>; <paramref name="environment"/> reaches the child only.</summary>
    public static Process Launch(
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

    /// <summary>The error a child that exited early reported in its log, or BackgroundProcessFailed with the log's end.</summary>
    public static MurderException ChildFailed(string kind, string name, string logPath)
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

    /// <summary>The last lines of a log, joined into one.</summary>
    public static string Tail(string logPath)
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

    /// <summary>Kills a process and its children, and waits briefly for it.</summary>
    public static void Kill(Process process)
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
