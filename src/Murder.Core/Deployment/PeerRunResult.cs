using System;

namespace Murder.Core.Deployment;

/// <summary>What one peer did.</summary>
public sealed record PeerRunResult
{
    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>Where the release now is.</summary>
    public required string Destination { get; init; }

    /// <summary>The artifact's size.</summary>
    public required long Bytes { get; init; }

    /// <summary>Download plus extraction.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Artifact bytes per second over the download.</summary>
    public required double Rate { get; init; }

    /// <summary>Distinct peers met (the seeder included).</summary>
    public required int PeersSeen { get; init; }

    /// <summary>Bytes that came from seeds (the seeder and finished peers).</summary>
    public required long BytesFromSeeders { get; init; }

    /// <summary>Bytes that came from peers still downloading.</summary>
    public required long BytesFromPeers { get; init; }

    /// <summary>Bytes already on disk from an earlier, interrupted run.</summary>
    public required long BytesResumed { get; init; }

    /// <summary>How long the download took.</summary>
    public required TimeSpan DownloadDuration { get; init; }

    /// <summary>How long extraction took.</summary>
    public required TimeSpan ExtractDuration { get; init; }

    /// <summary>Files extracted.</summary>
    public required int Files { get; init; }

    /// <summary>The downloaded artifact (TEMP/TAG.tgz).</summary>
    public required string ArtifactPath { get; init; }

    /// <summary>The torrent's info-hash.</summary>
    public required string InfoHash { get; init; }

    /// <summary>Payload bytes received from the swarm, duplicates and discarded blocks included.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Of <see cref="BytesReceived"/>, bytes not used: endgame duplicates, blocks after a cancel, pieces that failed their hash.</summary>
    public long BytesWasted { get; init; }

    /// <summary>When the first piece was verified (UTC); null when every piece was resumed.</summary>
    public DateTime? FirstPieceAtUtc { get; init; }

    /// <summary>When the whole artifact was verified and flushed (UTC), before hand-over and extraction.</summary>
    public DateTime? VerifiedAtUtc { get; init; }

    /// <summary>Whether this release (the same info-hash) was already in place, so nothing was downloaded.</summary>
    public bool AlreadyDeployed { get; init; }

    /// <summary>Whether a non-empty target was replaced.</summary>
    public bool ReplacedExisting { get; init; }
}
