using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Fleet;

/// <summary>
/// Lets the peers of a fleet deploy join the swarm together: each host's work connects and uploads
/// the torrent, settles here, and waits until every host of its wave has settled (ready, or failed
/// before it got there), or until <c>patience</c> has passed since the first one settled. Hosts
/// that started first would otherwise download while the control machine still connects the
/// rest, slower with every peer already busy (measured: a 16-host deploy started its last peer
/// 88 s after its first on one 2-core machine). Hosts after the first wave pass at once.
/// </summary>
public sealed class StartGate
{
    private readonly TimeSpan _patience;
    private readonly HashSet<string> _settled = new(StringComparer.OrdinalIgnoreCase);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _lock = new();
    private int _expected = int.MaxValue;

    /// <summary>A gate that opens at most <paramref name="patience"/> after the first host settled.</summary>
    public StartGate(TimeSpan patience) => _patience = patience;

    /// <summary>Whether the gate has opened.</summary>
    public bool IsOpen => _open.Task.IsCompleted;

    /// <summary>How many hosts the first wave holds (the hosts, at most the throttle limit).</summary>
    public void Expect(int hosts)
    {
        lock (_lock)
        {
            _expected = Math.Max(0, hosts);
            OpenIfAllSettled();
        }
    }

    /// <summary>Records that a host is ready or will never be (failed); each host counts once.</summary>
    public void Settle(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (_lock)
        {
            if (!_settled.Add(host))
            {
                return;
            }

            if (_settled.Count == 1 && !IsOpen)
            {
                _ = Task.Delay(_patience).ContinueWith(_ => Open(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }

            OpenIfAllSettled();
        }
    }

    /// <summary>Completes when the gate opens.</summary>
    public Task WaitAsync(CancellationToken cancellation) => _open.Task.WaitAsync(cancellation);

    private void OpenIfAllSettled()
    {
        if (_settled.Count >= _expected)
        {
            Open();
        }
    }

    private void Open() => _open.TrySetResult();
}
