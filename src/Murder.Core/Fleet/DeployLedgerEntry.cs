using System;
using Murder.Core.Deployment;

namespace Murder.Core.Fleet;

/// <summary>One host's entry in a tracker's deploy ledger, as `GET /deploy?info_hash=...` returns it.</summary>
public sealed record DeployLedgerEntry
{
    /// <summary>The deploy's info-hash.</summary>
    public string? InfoHash { get; init; }

    /// <summary>The deploy's tag.</summary>
    public string? Tag { get; init; }

    /// <summary>How long before the ledger's answer the host last reported.</summary>
    public TimeSpan SilentFor { get; init; }

    /// <summary>The host's name as the control machine named it (or its address).</summary>
    public required string Host { get; init; }

    /// <summary>peer or seeder.</summary>
    public string Role { get; init; } = "peer";

    /// <summary>The address its last report came from.</summary>
    public string? Address { get; init; }

    /// <summary>Its last reported stage.</summary>
    public required DeployStage Stage { get; init; }

    /// <summary>Its first report (tracker time, UTC).</summary>
    public DateTime FirstUtc { get; init; }

    /// <summary>Its last report (tracker time, UTC).</summary>
    public DateTime LastUtc { get; init; }

    /// <summary>Verified bytes of the artifact.</summary>
    public long Downloaded { get; init; }

    /// <summary>Bytes still missing.</summary>
    public long Left { get; init; }

    /// <summary>Its download rate at its last report, bytes per second.</summary>
    public long Rate { get; init; }

    /// <summary>Why it failed, or null.</summary>
    public string? ErrorId { get; init; }

    /// <summary>The failure's message, or null.</summary>
    public string? Message { get; init; }

    /// <summary>The ledger version of its last report.</summary>
    public long Version { get; init; }
}
