using System;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker.Client;

/// <summary>What a peer tells the tracker in an announce (BEP 3).</summary>
public sealed record TrackerAnnounceRequest
{
    /// <summary>The tracker's announce URL (http or https), as in the torrent.</summary>
    public required Uri AnnounceUrl { get; init; }

    /// <summary>The torrent.</summary>
    public required InfoHash InfoHash { get; init; }

    /// <summary>This peer's 20-byte id.</summary>
    public required ReadOnlyMemory<byte> PeerId { get; init; }

    /// <summary>The port this peer accepts connections on.</summary>
    public required int Port { get; init; }

    /// <summary>Bytes uploaded so far.</summary>
    public long Uploaded { get; init; }

    /// <summary>Bytes downloaded so far.</summary>
    public long Downloaded { get; init; }

    /// <summary>Bytes still missing; 0 for a seeder.</summary>
    public long Left { get; init; }

    /// <summary>The event, if any.</summary>
    public TrackerEvent Event { get; init; }

    /// <summary>Peers wanted; null leaves it to the tracker.</summary>
    public int? NumWant { get; init; }

    /// <summary>A random number that stays the same for this peer, proving identity if its address changes.</summary>
    public uint? Key { get; init; }
}
