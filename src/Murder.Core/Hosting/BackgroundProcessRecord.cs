using System;
using System.Collections.Generic;

namespace Murder.Core.Hosting;

/// <summary>
/// A Murder process running in the background (a tracker, a seeder, a lingering peer), as
/// recorded in the state directory. The start time guards against a reused process id.
/// </summary>
public sealed record BackgroundProcessRecord
{
    /// <summary>What it is: "tracker", "seeder", "peer".</summary>
    public required string Kind { get; init; }

    /// <summary>Which one of its kind: a port, a tag. Letters, digits, '.', '_' and '-'.</summary>
    public required string Name { get; init; }

    /// <summary>The process id.</summary>
    public required int ProcessId { get; init; }

    /// <summary>When the process started (UTC), as the operating system reports it.</summary>
    public required DateTime ProcessStartTimeUtc { get; init; }

    /// <summary>When it was recorded (UTC).</summary>
    public DateTime RecordedAtUtc { get; init; } = DateTime.UtcNow;

    /// <summary>A URL it serves, if any.</summary>
    public string? Url { get; init; }

    /// <summary>The port it listens on, if any.</summary>
    public int? Port { get; init; }

    /// <summary>Its log file, if any.</summary>
    public string? LogPath { get; init; }

    /// <summary>Kind-specific paths and settings (for a tracker: TorrentDirectory, BindAddress).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}
