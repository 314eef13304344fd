namespace Murder.Core.Tracker.Ledger;

/// <summary>What a reporting host is in the swarm. Stored in ledger files: never renumber.</summary>
internal enum LedgerRole : byte
{
    /// <summary>A host the release is deployed to.</summary>
    Peer = 0,

    /// <summary>The host the release comes from.</summary>
    Seeder = 1,
}
