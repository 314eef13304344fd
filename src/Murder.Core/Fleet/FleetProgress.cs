using System.Collections.Generic;
using Murder.Core.Deployment;

namespace Murder.Core.Fleet;

/// <summary>A fleet deploy at one moment, in aggregates only (nothing per host), for one progress bar.</summary>
public sealed record FleetProgress
{
    /// <summary>Hosts followed.</summary>
    public int Hosts { get; init; }

    /// <summary>Hosts not started yet (still to be launched, or being launched).</summary>
    public int Waiting { get; init; }

    /// <summary>Hosts started that have not reported yet.</summary>
    public int Silent { get; init; }

    /// <summary>Hosts per last reported stage.</summary>
    public required IReadOnlyDictionary<DeployStage, int> Stages { get; init; }

    /// <summary>Hosts with a result.</summary>
    public int Finished { get; init; }

    /// <summary>Of <see cref="Finished"/>, the ones with the release in place.</summary>
    public int Succeeded { get; init; }

    /// <summary>Of <see cref="Finished"/>, the ones lost (silent past the deadline).</summary>
    public int Lost { get; init; }

    /// <summary>Of <see cref="Finished"/>, the ones that failed, the lost ones included.</summary>
    public int Failed => Finished - Succeeded;

    /// <summary>Verified bytes over every host.</summary>
    public long Downloaded { get; init; }

    /// <summary>The artifact's size times the hosts (0 while the size is unknown).</summary>
    public long TotalBytes { get; init; }

    /// <summary>The sum of the hosts' download rates, bytes per second.</summary>
    public long Rate { get; init; }
}
