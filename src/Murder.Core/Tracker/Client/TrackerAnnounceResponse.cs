using System;
using System.Collections.Generic;
using System.Net;

namespace Murder.Core.Tracker.Client;

/// <summary>What the tracker answered to an announce.</summary>
public sealed record TrackerAnnounceResponse
{
    /// <summary>How long to wait before the next regular announce.</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>The shortest wait the tracker allows, when it says.</summary>
    public TimeSpan? MinInterval { get; init; }

    /// <summary>Other peers, IPv4 and IPv6 (compact, dictionary and peers6 lists together).</summary>
    public required IReadOnlyList<IPEndPoint> Peers { get; init; }

    /// <summary>Seeders in the swarm, when the tracker says.</summary>
    public long? Seeders { get; init; }

    /// <summary>Leechers in the swarm, when the tracker says.</summary>
    public long? Leechers { get; init; }

    /// <summary>A warning the tracker sent along, if any.</summary>
    public string? WarningMessage { get; init; }
}
