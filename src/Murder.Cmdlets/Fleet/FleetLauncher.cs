using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Fleet;

/// <summary>
/// Starts a fleet's peers: at most ThrottleLimit workers, each taking the next host, running its
/// short launch (connect, hand over the torrent, start the peer detached) and queueing the
/// outcome for the pipeline thread. Nothing is held per host once its launch returned; the
/// download is followed through the ledger, not here.
/// </summary>
internal sealed class FleetLauncher
{
    private readonly ConcurrentQueue<FleetTarget> _pending;
    private readonly ConcurrentQueue<LaunchOutcome> _outcomes = new();
    private readonly Func<FleetTarget, CancellationToken, Task> _launch;
    private readonly Task _workers;
    private int _active;

    public FleetLauncher(IReadOnlyList<FleetTarget> targets, int throttleLimit, Func<FleetTarget, CancellationToken, Task> launch, CancellationToken cancellation)
    {
        _pending = new ConcurrentQueue<FleetTarget>(targets);
        _launch = launch;
        int workers = Math.Max(1, Math.Min(throttleLimit, targets.Count));
        var reserve = ThreadPoolReserve.Raise(workers);
        _workers = Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(cancellation), CancellationToken.None)));
        _workers.ContinueWith(_ => reserve.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Hosts not yet taken by a worker.</summary>
    public int Pending => _pending.Count;

    /// <summary>Hosts being launched now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Whether every launch has ended (its outcome may still be queued).</summary>
    public bool IsFinished => _workers.IsCompleted;

    /// <summary>Whether outcomes wait to be taken.</summary>
    public bool HasOutcomes => !_outcomes.IsEmpty;

    /// <summary>Takes the next launch outcome, on the pipeline thread.</summary>
    public bool TryTake(out LaunchOutcome outcome) => _outcomes.TryDequeue(out outcome!);

    /// <summary>Waits up to <paramref name="timeout"/> for every launch to end.</summary>
    public void Wait(TimeSpan timeout) => Task.WaitAny(new[] { _workers }, timeout);

    private async Task WorkAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested && _pending.TryDequeue(out FleetTarget? target))
        {
            Interlocked.Increment(ref _active);
            MurderException? error = null;
            try
            {
                await _launch(target, cancellation).ConfigureAwait(false);
            }
            catch (MurderException failed)
            {
                error = failed.TargetObject is null ? new MurderException(failed.ErrorId, failed.Category, $"{target.ComputerName}: {failed.Message}", failed) { TargetObject = target.ComputerName } : failed;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                error = new MurderException("OperationStopped", MurderErrorCategory.OperationStopped, $"{target.ComputerName}: stopped before its peer started.") { TargetObject = target.ComputerName };
            }
#pragma warning disable CA1031 // One host's unexpected failure must not stop the others; it becomes that host's error.
            catch (Exception failed)
#pragma warning restore CA1031
            {
                error = new MurderException("RemoteOperationFailed", MurderErrorCategory.NotSpecified, $"{target.ComputerName}: {failed.Message}", failed) { TargetObject = target.ComputerName };
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }

            _outcomes.Enqueue(new LaunchOutcome(target.ComputerName, error));
        }
    }
}
