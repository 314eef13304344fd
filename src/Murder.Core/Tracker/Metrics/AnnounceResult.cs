namespace Murder.Core.Tracker.Metrics;

/// <summary>How an announce or a scrape ended, as the request counters label it.</summary>
internal enum AnnounceResult
{
    /// <summary>Answered with peers (or counts).</summary>
    Ok,

    /// <summary>Refused: the query could not be parsed or a value was out of range.</summary>
    Invalid,

    /// <summary>Refused: the swarm key was missing or wrong.</summary>
    Forbidden,

    /// <summary>Refused: the torrent is not registered.</summary>
    Unregistered,

    /// <summary>Refused: a peer or torrent limit was reached.</summary>
    Limit,
}
