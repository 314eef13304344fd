using System;
using System.Collections.Generic;

namespace Murder.Core.Tracker.Ledger;

/// <summary>One deploy's ledger at a moment, without its entries: what GET /deploy lists, and what the page and /metrics show.</summary>
internal sealed record DeploySummary
{
    public required Hash20 InfoHash { get; init; }

    /// <summary>The info-hash as 40 lower-case hexadecimal digits.</summary>
    public string InfoHashHex => InfoHash.ToHex();

    /// <summary>The torrent's name (TAG.tgz), or null when it is not registered.</summary>
    public string? Name { get; init; }

    /// <summary>The release's tag (the name without .tgz), or null.</summary>
    public string? Tag { get; init; }

    /// <summary>The torrent's size in bytes (registered, or else the largest downloaded + left reported).</summary>
    public long Size { get; init; }

    public DateTime FirstUtc { get; init; }

    public DateTime LastUtc { get; init; }

    /// <summary>The version of the latest report.</summary>
    public long Version { get; init; }

    /// <summary>Hosts in the ledger.</summary>
    public int Hosts { get; init; }

    /// <summary>Hosts per stage, indexed by <see cref="LedgerStage"/>.</summary>
    public required IReadOnlyList<int> Counts { get; init; }

    /// <summary>The sum of the hosts' downloaded bytes.</summary>
    public long Downloaded { get; init; }

    /// <summary>The sum of the hosts' last reported rates, bytes/s.</summary>
    public long Rate { get; init; }

    public int CountOf(LedgerStage stage) => Counts[(int)stage];
}
