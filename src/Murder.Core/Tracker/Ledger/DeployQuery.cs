namespace Murder.Core.Tracker.Ledger;

/// <summary>A parsed /deploy query: one torrent's entries after a version, or (no info-hash) the list of deploys.</summary>
internal struct DeployQuery
{
    /// <summary>Whether an info_hash was given.</summary>
    public bool HasInfoHash;

    public Hash20 InfoHash;

    /// <summary>Entries with a version above this one.</summary>
    public long Since;

    /// <summary>Entries at most (1 to <see cref="LedgerQueryParser.MaxLimit"/>).</summary>
    public int Limit;

    /// <summary>Only entries in this stage, when given.</summary>
    public LedgerStage? Stage;
}
