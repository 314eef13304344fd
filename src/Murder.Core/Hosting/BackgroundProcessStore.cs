using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Murder.Core.Hosting;

/// <summary>
/// The records of Murder's background processes: one JSON file per process in
/// STATE/processes, written atomically. PowerShell-free; the cmdlets and the processes themselves
/// share it.
/// </summary>
public sealed class BackgroundProcessStore
{
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>Uses the given state directory.</summary>
    public BackgroundProcessStore(string stateDirectory)
    {
        StateDirectory = stateDirectory;
    }

    /// <summary>The state directory.</summary>
    public string StateDirectory { get; }

    /// <summary>Where the records are.</summary>
    public string ProcessDirectory => Path.Combine(StateDirectory, "processes");

    /// <summary>Where background processes write their logs.</summary>
    public string LogDirectory => Path.Combine(StateDirectory, "logs");

    /// <summary>The store in <see cref="MurderStateDirectory.Resolve"/>.</summary>
    public static BackgroundProcessStore Default() => new(MurderStateDirectory.Resolve());

    /// <summary>The record file of a process.</summary>
    public string RecordPath(string kind, string name) => Path.Combine(ProcessDirectory, FileStem(kind, name) + ".json");

    /// <summary>The log file of a process.</summary>
    public string LogPath(string kind, string name) => Path.Combine(LogDirectory, FileStem(kind, name) + ".log");

    /// <summary>Writes (or replaces) a record.</summary>
    public void Save(BackgroundProcessRecord record)
    {
        string path = RecordPath(record.Kind, record.Name);
        Directory.CreateDirectory(ProcessDirectory);
        string temporary = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(record, BackgroundProcessRecordWriterJson.Default.BackgroundProcessRecord));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The record of a process, or null.</summary>
    public BackgroundProcessRecord? Get(string kind, string name)
    {
        string path = RecordPath(kind, name);
        return File.Exists(path) ? Read(path) : null;
    }

    /// <summary>Every record of a kind (or of every kind), unreadable files skipped.</summary>
    public IReadOnlyList<BackgroundProcessRecord> List(string? kind = null)
    {
        var records = new List<BackgroundProcessRecord>();
        if (!Directory.Exists(ProcessDirectory))
        {
            return records;
        }

        string pattern = kind is null ? "*.json" : FileStem(kind, "x")[..^1] + "*.json";
        foreach (string path in Directory.EnumerateFiles(ProcessDirectory, pattern))
        {
            BackgroundProcessRecord? record = Read(path);
            if (record is not null && (kind is null || record.Kind == kind))
            {
                records.Add(record);
            }
        }

        records.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return records;
    }

    /// <summary>Deletes a record; only if it still names <paramref name="processId"/> when given.</summary>
    public void Remove(string kind, string name, int? processId = null)
    {
        string path = RecordPath(kind, name);
        if (processId is int pid && Get(kind, name) is { } current && current.ProcessId != pid)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Whether the recorded process still runs: same id and same start time.</summary>
    public static bool IsRunning(BackgroundProcessRecord record)
    {
        using Process? process = TryOpen(record);
        return process is not null;
    }

    /// <summary>A record for the current process.</summary>
    public static BackgroundProcessRecord ForCurrentProcess(string kind, string name)
    {
        using Process self = Process.GetCurrentProcess();
        return new BackgroundProcessRecord
        {
            Kind = kind,
            Name = name,
            ProcessId = self.Id,
            ProcessStartTimeUtc = self.StartTime.ToUniversalTime(),
        };
    }

    /// <summary>
    /// Stops the recorded process if it still is the process recorded: asks it to stop (SIGTERM on
    /// Unix) and kills it and its children if it has not exited within 5 s; waits for it to exit
    /// and removes the record. Returns false when it was not running (the stale
    /// record is removed all the same).
    /// </summary>
    public bool Stop(BackgroundProcessRecord record, TimeSpan timeout)
    {
        using Process? process = TryOpen(record);
        if (process is null)
        {
            Remove(record.Kind, record.Name, record.ProcessId);
            return false;
        }

        try
        {
            // Asked first, killed only if it does not end in time: a tracker saves its ledgers on the way out.
            TimeSpan grace = timeout < GracePeriod ? timeout : GracePeriod;
            if (ProcessSignal.TryTerminate(process) && ProcessLiveness.WaitForExit(process, grace))
            {
                Remove(record.Kind, record.Name, record.ProcessId);
                return true;
            }

            process.Kill(entireProcessTree: true);
            if (!ProcessLiveness.WaitForExit(process, timeout))
            {
                throw new MurderException("BackgroundProcessStopTimeout", MurderErrorCategory.OperationStopped, $"The {record.Kind} {record.Name} (process {record.ProcessId}) did not exit within {timeout.TotalSeconds:0} s of being killed.")
                {
                    TargetObject = record.ProcessId,
                };
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        catch (Win32Exception error)
        {
            throw new MurderException("BackgroundProcessStopFailed", MurderErrorCategory.PermissionDenied, $"Cannot stop the {record.Kind} {record.Name} (process {record.ProcessId}): {error.Message}.", error)
            {
                TargetObject = record.ProcessId,
            };
        }

        Remove(record.Kind, record.Name, record.ProcessId);
        return true;
    }

    private static Process? TryOpen(BackgroundProcessRecord record)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(record.ProcessId);
        }
        catch (ArgumentException)
        {
            return null;
        }

        try
        {
            if (ProcessLiveness.HasExited(process))
            {
                process.Dispose();
                return null;
            }

            TimeSpan difference = process.StartTime.ToUniversalTime() - record.ProcessStartTimeUtc;
            if (difference.Duration() > StartTimeTolerance)
            {
                // The id was reused by another program.
                process.Dispose();
                return null;
            }

            return process;
        }
        catch (Exception error) when (error is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            process.Dispose();
            return null;
        }
    }

    private static BackgroundProcessRecord? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), BackgroundProcessRecordJson.Default.BackgroundProcessRecord);
        }
        catch (Exception error) when (error is IOException or JsonException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    private static string FileStem(string kind, string name)
    {
        RequireSafe(kind, nameof(kind));
        RequireSafe(name, nameof(name));
        return kind + "-" + name;
    }

    private static void RequireSafe(string value, string what)
    {
        bool ok = value.Length is > 0 and <= 100 && value[0] != '.';
        foreach (char c in value)
        {
            ok &= char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
        }

        if (!ok)
        {
            throw new MurderException("InvalidProcessName", MurderErrorCategory.InvalidArgument, $"'{value}' is not a valid background-process {what}: use letters, digits, '.', '_' and '-'.")
            {
                TargetObject = value,
            };
        }
    }
}

/// <summary>Compile-time JSON for <see cref="BackgroundProcessRecord"/> (reading): no reflection.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(BackgroundProcessRecord))]
internal sealed partial class BackgroundProcessRecordJson : JsonSerializerContext
{
}

/// <summary>
/// Writing only: generated code that writes straight to a Utf8JsonWriter, without the metadata a
/// transfer agent (every method compiled fully at start-up) would otherwise JIT to save its record.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(BackgroundProcessRecord))]
internal sealed partial class BackgroundProcessRecordWriterJson : JsonSerializerContext
{
}
