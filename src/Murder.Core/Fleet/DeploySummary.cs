using System;
using System.Collections.Generic;
using Murder.Core.Deployment;

namespace Murder.Core.Fleet;

/// <summary>One deploy (one torrent) in a tracker's deploy ledger.</summary>
public sealed record DeploySummary
{
    /// <summary>The torrent's info-hash, 40 lower-case hexadecimal digits.</summary>
    public required string InfoHash { get; init; }

    /// <summary>The artifact's name (TAG.tgz).</summary>
    public string? Name { get; init; }

    /// <summary>The deploy tag.</summary>
    public string? Tag { get; init; }

    /// <summary>The artifact's size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>The first report of any host (UTC).</summary>
    public DateTime? FirstUtc { get; init; }

    /// <summary>The last report of any host (UTC).</summary>
    public DateTime? LastUtc { get; init; }

    /// <summary>Hosts in the ledger.</summary>
    public int Hosts { get; init; }

    /// <summary>Hosts per stage.</summary>
    public IReadOnlyDictionary<DeployStage, int> Counts { get; init; } = new Dictionary<DeployStage, int>();

    /// <summary>Hosts with the release in place (seeding or done).</summary>
    public int Succeeded => Count(DeployStage.Seeding) + Count(DeployStage.Done);

    /// <summary>Hosts that failed.</summary>
    public int Failed => Count(DeployStage.Failed);

    /// <summary>Hosts still at work (or silent: whether they are lost depends on the reader's deadline).</summary>
    public int Active => Hosts - Succeeded - Failed;

    private int Count(DeployStage stage) => Counts.TryGetValue(stage, out int count) ? count : 0;
}
