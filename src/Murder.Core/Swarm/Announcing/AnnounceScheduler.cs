using System;

namespace Murder.Core.Swarm.Announcing;

/// <summary>
/// When to announce and with which event: 'started' first, then every interval the tracker gives;
/// 'completed' as soon as the download is; after a failure, again soon with a backoff up to the
/// interval (a restarted tracker is found again); and early, at most once a second, when a peer is
/// lost mid-download (a finished peer hands over to a lingering seeder the tracker already knows).
/// One announce at a time. Pure: the engine passes the time in.
/// </summary>
internal sealed class AnnounceScheduler
{
    private static readonly TimeSpan EarlyAnnounceInterval = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _defaultInterval;
    private SwarmAnnounceEvent _next = SwarmAnnounceEvent.Started;
    private TimeSpan _due;
    private TimeSpan _lastEarly = TimeSpan.MinValue / 2;
    private int _failures;

    public AnnounceScheduler(TimeSpan defaultInterval, bool complete)
    {
        _defaultInterval = defaultInterval;
        CompletionAnnounced = complete; // a seeder announces 'started' with left=0, never 'completed'
    }

    /// <summary>An announce was handed out and has not been answered yet.</summary>
    public SwarmAnnounceEvent? InFlight { get; private set; }

    /// <summary>The tracker has been told we are complete.</summary>
    public bool CompletionAnnounced { get; private set; }

    /// <summary>The event to announce now, or null when none is due (or one is in flight).</summary>
    public SwarmAnnounceEvent? TakeDue(TimeSpan now, bool complete)
    {
        if (InFlight is not null)
        {
            return null;
        }

        if (complete && !CompletionAnnounced && _next == SwarmAnnounceEvent.None)
        {
            _next = SwarmAnnounceEvent.Completed;
            _due = now;
        }

        if (now < _due)
        {
            return null;
        }

        InFlight = _next;
        return _next;
    }

    /// <summary>The tracker answered the announce in flight.</summary>
    public void Succeeded(TimeSpan now, TimeSpan interval, bool complete)
    {
        if (InFlight is SwarmAnnounceEvent.Completed || (InFlight is SwarmAnnounceEvent.Started && complete))
        {
            CompletionAnnounced = true;
        }

        InFlight = null;
        _next = SwarmAnnounceEvent.None;
        _failures = 0;
        _due = now + (interval > TimeSpan.Zero ? interval : _defaultInterval);
    }

    /// <summary>The announce in flight failed; returns how long until the retry.</summary>
    public TimeSpan Failed(TimeSpan now)
    {
        InFlight = null;
        _failures++;
        var wait = TimeSpan.FromMilliseconds(Math.Min(_defaultInterval.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(_failures, 8))));
        _due = now + wait;
        return wait;
    }

    /// <summary>A peer was lost mid-download: announce now rather than at the interval, at most once a second.</summary>
    public void Soon(TimeSpan now)
    {
        if (now - _lastEarly < EarlyAnnounceInterval)
        {
            return;
        }

        _lastEarly = now;
        if (_due > now)
        {
            _due = now;
        }
    }
}
