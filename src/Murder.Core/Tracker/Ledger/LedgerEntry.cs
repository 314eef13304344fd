namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// One host's line in a deploy ledger: about 110 bytes plus its name. Times are UTC ticks; the
/// strings stay UTF-8 as they arrived, so a report that repeats them allocates nothing.
/// </summary>
internal struct LedgerEntry
{
    /// <summary>The host's name, UTF-8 (the key of the entry).</summary>
    public byte[] Host;

    /// <summary>The failure's error id (ASCII), or null.</summary>
    public byte[]? ErrorId;

    /// <summary>The failure's message (UTF-8), or null.</summary>
    public byte[]? Message;

    /// <summary>Where the last report came from.</summary>
    public PeerAddress Address;

    public long FirstTicks;
    public long LastTicks;
    public long Downloaded;
    public long Left;
    public long Rate;

    /// <summary>The ledger version the last report gave this entry.</summary>
    public long Version;

    /// <summary>The host name's hash, and the next entry (index + 1, 0 for none) in its bucket.</summary>
    public int HashCode;
    public int NextInBucket;

    public LedgerStage Stage;
    public LedgerRole Role;
}
