using System;

namespace Murder.Core.Tracker.Ledger;

/// <summary>One host's entry at a moment, as objects (for the tracker's page; /deploy writes JSON straight from the ledger).</summary>
internal sealed record LedgerEntrySnapshot(
    string Host,
    LedgerRole Role,
    string Address,
    LedgerStage Stage,
    DateTime FirstUtc,
    DateTime LastUtc,
    long Downloaded,
    long Left,
    long Rate,
    string? ErrorId,
    string? Message,
    long Version);
