using System;

namespace Murder.Core.Fleet;

/// <summary>One host's result of a remote Invoke-MurderPeer or of Invoke-MurderDeploy.</summary>
public sealed record FleetPeerResult
{
    /// <summary>The host.</summary>
    public required string ComputerName { get; init; }

    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>Succeeded or Failed.</summary>
    public required FleetHostStatus Status { get; init; }

    /// <summary>The artifact's size (0 when the host failed).</summary>
    public long Bytes { get; init; }

    /// <summary>Download plus extraction on the host.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Artifact bytes per second over the download.</summary>
    public double Rate { get; init; }

    /// <summary>Where the release is on the host.</summary>
    public string? Destination { get; init; }

    /// <summary>The download alone (start of the swarm to the last piece verified), without extraction.</summary>
    public TimeSpan DownloadDuration { get; init; }

    /// <summary>When the host verified its first piece (UTC), or null.</summary>
    public DateTime? FirstPieceAtUtc { get; init; }

    /// <summary>When the host had the whole artifact verified (UTC), or null.</summary>
    public DateTime? VerifiedAtUtc { get; init; }

    /// <summary>Payload bytes the host received (duplicates and rejected blocks included).</summary>
    public long BytesReceived { get; init; }

    /// <summary>Of <see cref="BytesReceived"/>, bytes not used (endgame duplicates, blocks after a cancel, failed pieces).</summary>
    public long BytesWasted { get; init; }

    /// <summary>Artifact bytes the host got from seeders.</summary>
    public long BytesFromSeeders { get; init; }

    /// <summary>Artifact bytes the host got from other peers.</summary>
    public long BytesFromPeers { get; init; }

    /// <summary>Why the host failed (its ErrorId and message), or null.</summary>
    public string? Error { get; init; }

    /// <summary>The ErrorId of the failure, or null.</summary>
    public string? ErrorId { get; init; }
}
