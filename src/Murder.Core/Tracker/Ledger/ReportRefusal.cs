namespace Murder.Core.Tracker.Ledger;

/// <summary>Why a report was refused, for the counters.</summary>
internal enum ReportRefusal
{
    /// <summary>A malformed or out-of-range value.</summary>
    Invalid,

    /// <summary>The torrent is not registered and the tracker is not open.</summary>
    Unregistered,

    /// <summary>The swarm key is missing or wrong.</summary>
    SwarmKey,

    /// <summary>The ledger is at its host limit.</summary>
    Full,
}
