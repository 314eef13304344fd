using System;

namespace Murder.Core.Deployment;

/// <summary>A seeder (or a lingering peer) running on this machine.</summary>
public sealed record SeedingInfo
{
    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>"Seeder", or "Peer" for a peer that keeps seeding for a while after its download.</summary>
    public required string Role { get; init; }

    /// <summary>The torrent's info-hash.</summary>
    public string? InfoHash { get; init; }

    /// <summary>The port peers connect to.</summary>
    public int? Port { get; init; }

    /// <summary>The seeding process.</summary>
    public required int ProcessId { get; init; }

    /// <summary>The artifact served.</summary>
    public string? ArtifactPath { get; init; }

    /// <summary>The torrent.</summary>
    public string? TorrentPath { get; init; }

    /// <summary>The tracker announced to.</summary>
    public string? Tracker { get; init; }

    /// <summary>When it stops by itself; null: when stopped.</summary>
    public DateTime? StopsAtUtc { get; init; }

    /// <summary>Where the process logs.</summary>
    public string? LogPath { get; init; }

    /// <summary>Whether the process is still running.</summary>
    public required bool IsRunning { get; init; }
}
