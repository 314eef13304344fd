using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Cmdlets.Fleet;

/// <summary>
/// Starts a fleet's peers through a <see cref="HostWorkPool{TOutcome}"/>: each host's short launch
/// (connect, hand over the torrent, start the peer detached) ends in an outcome for the pipeline
/// thread. Nothing is held per host once its launch returned; the download is followed through
/// the ledger, not here.
/// </summary>
internal sealed class FleetLauncher
{
    private const string Stopped = "stopped before its peer started.";
    private readonly HostWorkPool<LaunchOutcome> _pool;

    public FleetLauncher(IReadOnlyList<FleetTarget> targets, int throttleLimit, Func<FleetTarget, CancellationToken, Task> launch, CancellationToken cancellation)
    {
        _pool = new HostWorkPool<LaunchOutcome>(
            targets.Count,
            throttleLimit,
            index => targets[index].ComputerName,
            async (index, token) =>
            {
                await launch(targets[index], token).ConfigureAwait(false);
                return new LaunchOutcome(targets[index].ComputerName, null);
            },
            (index, error) => new LaunchOutcome(targets[index].ComputerName, error),
            Stopped,
            Stopped,
            cancellation);
    }

    /// <summary>Hosts not yet taken by a worker.</summary>
    public int Pending => _pool.Pending;

    /// <summary>Hosts being launched now.</summary>
    public int Active => _pool.Active;

    /// <summary>Whether every launch has ended (its outcome may still be queued).</summary>
    public bool IsFinished => _pool.IsFinished;

    /// <summary>Whether outcomes wait to be taken.</summary>
    public bool HasOutcomes => _pool.HasOutcomes;

    /// <summary>Takes the next launch outcome, on the pipeline thread.</summary>
    public bool TryTake(out LaunchOutcome outcome) => _pool.TryTake(out _, out outcome);

    /// <summary>Waits up to <paramref name="timeout"/> for every launch to end.</summary>
    public void Wait(TimeSpan timeout) => _pool.Wait(timeout);
}
