namespace Murder.Core.Tracker.Ledger;

/// <summary>Reports since the tracker started: accepted, and refused by reason (for /metrics).</summary>
internal readonly record struct LedgerCounters(
    long Accepted,
    long RefusedUnregistered,
    long RefusedSwarmKey,
    long RefusedInvalid,
    long RefusedFull,
    long DeploysEvicted);
