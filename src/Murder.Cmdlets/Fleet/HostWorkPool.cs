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
/// Runs one async function per host over a fleet, at most ThrottleLimit hosts at once: that many
/// workers take the hosts in order from a shared counter, so nothing exists for a host before its
/// turn and afterwards only its outcome, queued (in the order the hosts end) until the pipeline
/// thread takes it. A host's exception becomes its outcome here, with the host's name and a stable
/// ErrorId. Every host gets exactly one outcome: once cancelled, the workers take no more hosts,
/// the running ones end as stopped, and the hosts never started are handed out as stopped, in
/// their order, after the rest.
/// </summary>
/// <typeparam name="TOutcome">What a host's work produces.</typeparam>
internal sealed class HostWorkPool<TOutcome>
{
    private const int Idle = -1;
    private readonly int _hosts;
    private readonly Func<int, string> _computerName;
    private readonly Func<int, CancellationToken, Task<TOutcome>> _work;
    private readonly Func<int, MurderException, TOutcome> _failed;
    private readonly string _stoppedWhileRunning;
    private readonly string _stoppedBeforeStart;
    private readonly ConcurrentQueue<(int Host, TOutcome Outcome)> _outcomes = new();
    private readonly int[] _working;
    private readonly Task _workers;
    private int _next;
    private int _active;

    /// <summary>Starts the workers at once.</summary>
    /// <param name="hosts">How many hosts; each is known by its index, 0 to hosts - 1.</param>
    /// <param name="throttleLimit">How many hosts at most at once.</param>
    /// <param name="computerName">A host's name, for its errors.</param>
    /// <param name="work">One host's work; its exceptions become the host's failed outcome.</param>
    /// <param name="failed">The outcome of a host that failed or was stopped.</param>
    /// <param name="stoppedWhileRunning">What a host's error says when Ctrl+C stopped its work (after "NAME: ").</param>
    /// <param name="stoppedBeforeStart">What it says when Ctrl+C came before the host's turn.</param>
    /// <param name="cancellation">Stops the workers taking hosts and cancels the running ones.</param>
    public HostWorkPool(int hosts, int throttleLimit, Func<int, string> computerName, Func<int, CancellationToken, Task<TOutcome>> work, Func<int, MurderException, TOutcome> failed, string stoppedWhileRunning, string stoppedBeforeStart, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hosts);
        _hosts = hosts;
        _computerName = computerName;
        _work = work;
        _failed = failed;
        _stoppedWhileRunning = stoppedWhileRunning;
        _stoppedBeforeStart = stoppedBeforeStart;
        int workers = Math.Max(1, Math.Min(throttleLimit, hosts));
        _working = Enumerable.Repeat(Idle, workers).ToArray();
        var reserve = ThreadPoolReserve.Raise(workers);
        _workers = Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(() => WorkAsync(worker, cancellation), CancellationToken.None)).ToArray());
        _workers.ContinueWith(_ => reserve.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>How many hosts the pool was given.</summary>
    public int Hosts => _hosts;

    /// <summary>Hosts not yet taken by a worker.</summary>
    public int Pending => _hosts - Volatile.Read(ref _next);

    /// <summary>Hosts being worked on now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Whether every worker has ended (outcomes may still wait to be taken).</summary>
    public bool IsFinished => _workers.IsCompleted;

    /// <summary>Whether outcomes wait to be taken, those of hosts never started included.</summary>
    public bool HasOutcomes => !_outcomes.IsEmpty || (_workers.IsCompleted && Pending > 0);

    /// <summary>The hosts being worked on now: one read per worker, however large the fleet.</summary>
    public IEnumerable<int> ActiveHosts()
    {
        for (int worker = 0; worker < _working.Length; worker++)
        {
            int host = Volatile.Read(ref _working[worker]);
            if (host != Idle)
            {
                yield return host;
            }
        }
    }

    /// <summary>Takes the next outcome and its host's index; after a cancellation, those of the hosts never started come last.</summary>
    public bool TryTake(out int host, out TOutcome outcome)
    {
        // Read before the queue: once the workers have ended nothing more is queued, so the hosts never started follow every queued outcome.
        bool ended = _workers.IsCompleted;
        if (_outcomes.TryDequeue(out (int Host, TOutcome Outcome) item))
        {
            (host, outcome) = item;
            return true;
        }

        if (ended && TryClaim(out host))
        {
            outcome = _failed(host, Stopped(_computerName(host), _stoppedBeforeStart));
            return true;
        }

        host = Idle;
        outcome = default!;
        return false;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for every worker to end; true when they have.</summary>
    public bool Wait(TimeSpan timeout) => Task.WaitAny(new[] { _workers }, timeout) >= 0;

    /// <summary>What a host's exception means for the user: its ErrorId, with the host's name in the message and as the target.</summary>
    private static MurderException HostError(string computerName, Exception error, bool stopping, string stoppedWhileRunning) => error switch
    {
        MurderException { TargetObject: not null } known => known,
        MurderException known => new MurderException(known.ErrorId, known.Category, $"{computerName}: {known.Message}", known) { TargetObject = computerName },
        OperationCanceledException when stopping => Stopped(computerName, stoppedWhileRunning),
        _ => new MurderException("RemoteOperationFailed", MurderErrorCategory.NotSpecified, $"{computerName}: {error.Message}", error) { TargetObject = computerName },
    };

    private static MurderException Stopped(string computerName, string reason) =>
        new("OperationStopped", MurderErrorCategory.OperationStopped, $"{computerName}: {reason}") { TargetObject = computerName };

    private bool TryClaim(out int host)
    {
        // Compare-and-swap rather than Increment: the counter never passes the fleet, however often it is asked.
        int next = Volatile.Read(ref _next);
        while (next < _hosts)
        {
            int seen = Interlocked.CompareExchange(ref _next, next + 1, next);
            if (seen == next)
            {
                host = next;
                return true;
            }

            next = seen;
        }

        host = Idle;
        return false;
    }

    private async Task WorkAsync(int worker, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested && TryClaim(out int host))
        {
            Interlocked.Increment(ref _active);
            Volatile.Write(ref _working[worker], host);
            TOutcome outcome;
            try
            {
                outcome = await _work(host, cancellation).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // One host's failure must not stop the others; it becomes that host's outcome.
            catch (Exception error)
#pragma warning restore CA1031
            {
                outcome = _failed(host, HostError(_computerName(host), error, cancellation.IsCancellationRequested, _stoppedWhileRunning));
            }
            finally
            {
                // Idle before the outcome is queued: a host whose outcome was taken is never seen working again.
                Volatile.Write(ref _working[worker], Idle);
                Interlocked.Decrement(ref _active);
            }

            _outcomes.Enqueue((host, outcome));
        }
    }
}
