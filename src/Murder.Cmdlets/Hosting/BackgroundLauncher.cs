using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Murder.Core;
using Murder.Core.Fleet;
using Murder.Core.Hosting;

namespace Murder.Cmdlets.Hosting;

/// <summary>
/// Starts a Murder cmdlet in a detached PowerShell process that outlives this session (Murder ran
/// its tracker and seeders under screen): the same PowerShell executable, -NoProfile
/// -NonInteractive, this module imported by path, output to a log in the state directory. Returns
/// once the child has recorded itself in the <see cref="BackgroundProcessStore"/> (it does so when
/// it is ready), or throws with the error the child reported.
/// </summary>
internal static class BackgroundLauncher
{
    private const string ErrorMarker = "MURDER-ERROR ";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static BackgroundProcessRecord Start(
        BackgroundProcessStore store,
        string kind,
        string name,
        string command,
        IReadOnlyList<KeyValuePair<string, object?>> parameters,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        string logPath = store.LogPath(kind, name);
        Directory.CreateDirectory(store.LogDirectory);
        File.WriteAllText(logPath, string.Empty);

        string script = Script(ModulePath(), PowerShellArguments.Invocation(command, parameters), OperatingSystem.IsWindows() ? logPath : null);
        string encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        (string executable, string[] prefix) = PowerShellExecutable();
        var pwshArguments = new List<string>(prefix) { "-NoProfile", "-NonInteractive", "-OutputFormat", "Text", "-EncodedCommand", encoded };

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

        foreach (string argument in pwshArguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.WorkingDirectory = store.StateDirectory;
        Directory.CreateDirectory(store.StateDirectory);
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

        using Process process = started ?? throw new MurderException("BackgroundProcessFailed", MurderErrorCategory.NotSpecified, $"Could not start {executable}.");
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

    private static MurderException ChildFailed(string kind, string name, string logPath)
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

    private static void Kill(Process process)
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
