using System;
using System.Collections.Generic;

namespace Murder.Core.Fleet;

/// <summary>One read of a deploy's ledger: the deploy's totals and the entries changed since a version.</summary>
public sealed record DeployLedgerPage
{
    /// <summary>The tracker's clock when it answered.</summary>
    public required DateTime NowUtc { get; init; }

    /// <summary>The deploy (its info-hash, name, tag, size, counts).</summary>
    public required DeploySummary Deploy { get; init; }

    /// <summary>The ledger's version now.</summary>
    public long Version { get; init; }

    /// <summary>Entries with a version above the one asked for, oldest change first.</summary>
    public required IReadOnlyList<DeployLedgerEntry> Entries { get; init; }

    /// <summary>The version to ask with next time.</summary>
    public long Next { get; init; }

    /// <summary>Whether entries were left off (ask again at once with <see cref="Next"/>).</summary>
    public bool More { get; init; }
}
