using System;
using System.Collections.Generic;

namespace Murder.Core.Fleet;

/// <summary>Every deploy a tracker's ledger holds, newest first (`GET /deploy`).</summary>
public sealed record DeployList
{
    /// <summary>The tracker's clock when it answered.</summary>
    public required DateTime NowUtc { get; init; }

    /// <summary>The deploys, newest first.</summary>
    public required IReadOnlyList<DeploySummary> Deploys { get; init; }
}
