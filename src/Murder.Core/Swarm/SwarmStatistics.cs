using System;

namespace Murder.Core.Swarm;

/// <summary>A snapshot of a swarm's counters.</summary>
public sealed record SwarmStatistics
{
    /// <summary>Pieces verified.</summary>
    public required int PiecesHave { get; init; }

    /// <summary>Pieces in the torrent.</summary>
    public required int PieceCount { get; init; }

    /// <summary>Verified bytes we hold.</summary>
    public required long BytesHave { get; init; }

    /// <summary>The torrent's size.</summary>
    public required long TotalBytes { get; init; }

    /// <summary>Block bytes received (including duplicates and failed pieces).</summary>
    public required long Downloaded { get; init; }

    /// <summary>Block bytes sent.</summary>
    public required long Uploaded { get; init; }

    /// <summary>Useful bytes received from peers that held every piece (seeds) when they sent them, as far as we knew (an origin that super-seeds shows every piece only once each has left it).</summary>
    public required long BytesFromSeeds { get; init; }

    /// <summary>Useful bytes received from peers that were still downloading.</summary>
    public required long BytesFromPeers { get; init; }

    /// <summary>Bytes received that were not used (endgame duplicates, failed pieces).</summary>
    public required long BytesWasted { get; init; }

    /// <summary>Peers connected now.</summary>
    public required int ConnectedPeers { get; init; }

    /// <summary>Distinct peers we exchanged handshakes with.</summary>
    public required int PeersSeen { get; init; }

    /// <summary>Pieces that failed their hash check.</summary>
    public required int HashFailures { get; init; }

    /// <summary>Peers banned for bad data.</summary>
    public required int PeersBanned { get; init; }

    /// <summary>Time since the swarm started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>When the first piece was verified, after start; null before.</summary>
    public TimeSpan? FirstPieceAfter { get; init; }

    /// <summary>When the last piece was verified, after start; null until complete (or when seeding from the start).</summary>
    public TimeSpan? CompletedAfter { get; init; }

    /// <summary>Whether every piece is verified.</summary>
    public bool IsComplete => PiecesHave == PieceCount;
}
