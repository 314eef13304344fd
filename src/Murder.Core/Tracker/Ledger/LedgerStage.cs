namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// Where a host is in a deploy, as it reports it. The values are stored in ledger files: append,
/// never renumber.
/// </summary>
internal enum LedgerStage : byte
{
    /// <summary>The agent runs and checks.</summary>
    Starting = 0,

    /// <summary>Re-checking pieces already on disk.</summary>
    Verifying = 1,

    /// <summary>Downloading.</summary>
    Downloading = 2,

    /// <summary>The artifact is complete and verified; extracting.</summary>
    Extracting = 3,

    /// <summary>The release is in place; the peer lingers to upload.</summary>
    Seeding = 4,

    /// <summary>The release is in place; the peer process has ended.</summary>
    Done = 5,

    /// <summary>Failed, with an error id and a message.</summary>
    Failed = 6,
}
