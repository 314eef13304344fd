using System;
using System.Collections.Generic;
using System.Globalization;
using Murder.Core.Deployment;

namespace Murder.Core.Fleet;

/// <summary>
/// Follows a fleet deploy through the tracker's deploy ledger, sans IO: it is told which hosts to
/// expect, which were launched (or failed to launch), the ledger's changed entries and the time,
/// and it answers with one result per host as it finishes, hosts lost (started, then silent past a
/// deadline), and aggregates for a progress bar. Every call costs what changed, not the fleet's
/// size: counts and sums are kept as hosts move, and silent hosts wait in a list ordered by when
/// they were last heard, so finding the lost ones looks only at the oldest.
/// </summary>
public sealed class FleetFollower
{
    /// <summary>ErrorId of a host started but silent past the deadline.</summary>
    public const string HostLostErrorId = "HostLost";

    private readonly Dictionary<string, HostState> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly LinkedList<HostState> _quiet = new();
    private readonly int[] _stages = new int[DeployStages.All.Length];
    private readonly TimeSpan _hostLost;
    private readonly bool _followUnlisted;
    private readonly string _tag;
    private readonly Func<string, string?>? _destination;
    private int _waiting;
    private int _silent;
    private int _finished;
    private int _succeeded;
    private int _lost;
    private long _downloaded;
    private long _rate;
    private long _size;
    private string? _infoHash;

    /// <summary>A follower.</summary>
    /// <param name="tag">The deploy tag, for the results.</param>
    /// <param name="hostLost">How long a started host may stay silent before it is lost.</param>
    /// <param name="followUnlisted">Follow every peer the ledger names (re-attaching), not only the expected hosts.</param>
    /// <param name="destination">The release's path on a host, for its result; null when unknown.</param>
    /// <param name="size">The artifact's size when known (else the ledger's).</param>
    public FleetFollower(string tag, TimeSpan hostLost, bool followUnlisted = false, Func<string, string?>? destination = null, long size = 0)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (hostLost <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(hostLost), "The deadline must be positive.");
        }

        _tag = tag;
        _hostLost = hostLost;
        _followUnlisted = followUnlisted;
        _destination = destination;
        _size = Math.Max(0, size);
    }

    /// <summary>Hosts followed.</summary>
    public int Hosts => _hosts.Count;

    /// <summary>Whether every host followed has its result.</summary>
    public bool IsComplete => _finished == _hosts.Count;

    /// <summary>Adds a host to follow; it waits for its launch. A host already followed is left as it is.</summary>
    public void Expect(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (!_hosts.ContainsKey(host))
        {
            _hosts[host] = new HostState(host);
            _waiting++;
        }
    }

    /// <summary>The host's peer runs (its launch answered STARTED) at <paramref name="nowUtc"/>: its deadline starts.</summary>
    public void Launched(string host, DateTime nowUtc)
    {
        HostState state = Get(host);
        if (state.Phase != Phase.Waiting)
        {
            return;
        }

        _waiting--;
        _silent++;
        state.Phase = Phase.Silent;
        Heard(state, nowUtc);
    }

    /// <summary>The host could not be started: its result is this failure.</summary>
    public FleetPeerResult LaunchFailed(string host, string errorId, string message)
    {
        HostState state = Get(host);
        if (state.Phase == Phase.Waiting)
        {
            _waiting--;
        }
        else if (state.Phase == Phase.Silent)
        {
            _silent--;
        }

        Forget(state);
        state.ErrorId = errorId;
        state.Message = message;
        return Finish(state, success: false, lost: false);
    }

    /// <summary>
    /// Takes a read of the ledger at <paramref name="nowUtc"/> (this machine's clock) and returns
    /// the hosts that finished with it. Report times are the tracker's: a report's age is measured
    /// against the ledger's own clock, so the two clocks need not agree.
    /// </summary>
    public IReadOnlyList<FleetPeerResult> Apply(DeployLedgerPage page, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(page);
        _infoHash ??= page.Deploy.InfoHash;
        if (page.Deploy.Size > 0)
        {
            _size = page.Deploy.Size;
        }

        var finished = new List<FleetPeerResult>();
        foreach (DeployLedgerEntry entry in page.Entries)
        {
            if (!_hosts.TryGetValue(entry.Host, out HostState? state))
            {
                if (!_followUnlisted || entry.Role != "peer")
                {
                    continue;
                }

                Expect(entry.Host);
                state = _hosts[entry.Host];
            }

            if (entry.Version != 0 && entry.Version <= state.Version)
            {
                continue;
            }

            Update(state, entry);
            DateTime heard = nowUtc - (page.NowUtc - entry.LastUtc);
            if (state.Phase == Phase.Done)
            {
                continue;
            }

            if (state.Phase == Phase.Waiting)
            {
                _waiting--;
            }
            else if (state.Phase == Phase.Silent)
            {
                _silent--;
            }

            state.Phase = Phase.Reporting;
            if (DeployStages.IsTerminal(entry.Stage))
            {
                Forget(state);
                finished.Add(Finish(state, DeployStages.IsSuccess(entry.Stage), lost: false));
            }
            else
            {
                Heard(state, heard > nowUtc ? nowUtc : heard);
            }
        }

        return finished;
    }

    /// <summary>Hosts started but silent for longer than the deadline at <paramref name="nowUtc"/>: their results (HostLost).</summary>
    public IReadOnlyList<FleetPeerResult> ExpireLost(DateTime nowUtc)
    {
        var lost = new List<FleetPeerResult>();
        while (_quiet.First is LinkedListNode<HostState> oldest && nowUtc - oldest.Value.LastHeardUtc > _hostLost)
        {
            HostState state = oldest.Value;
            Forget(state);
            if (state.Phase == Phase.Silent)
            {
                _silent--;
            }

            state.ErrorId = HostLostErrorId;
            string last = state.Stage is DeployStage stage
                ? $"its last report ({DeployStages.ToWire(stage)}, {Percent(state.Downloaded)}) came {(nowUtc - state.LastHeardUtc).TotalSeconds:0} s ago"
                : $"it was started {(nowUtc - state.LastHeardUtc).TotalSeconds:0} s ago and never reported";
            state.Message = $"{state.Name}: lost: {last}, longer than the deadline of {_hostLost.TotalSeconds:0} s. Its peer may have died, or the host or its network is down; check it, then deploy again with -Retry.";
            lost.Add(Finish(state, success: false, lost: true));
        }

        return lost;
    }

    /// <summary>The deploy in aggregates, at no cost per host.</summary>
    public FleetProgress Progress()
    {
        var stages = new Dictionary<DeployStage, int>();
        foreach (DeployStage stage in DeployStages.All)
        {
            stages[stage] = _stages[(int)stage];
        }

        return new FleetProgress
        {
            Hosts = _hosts.Count,
            Waiting = _waiting,
            Silent = _silent,
            Stages = stages,
            Finished = _finished,
            Succeeded = _succeeded,
            Lost = _lost,
            Downloaded = _downloaded,
            TotalBytes = _size * _hosts.Count,
            Rate = _rate,
        };
    }

    /// <summary>
    /// The <paramref name="count"/> downloading hosts furthest behind (fewest verified bytes), by
    /// name. One pass over the hosts: call it at a progress bar's pace, not per ledger read.
    /// </summary>
    public IReadOnlyList<string> Slowest(int count)
    {
        var slowest = new List<HostState>(count + 1);
        foreach (HostState state in _hosts.Values)
        {
            if (state.Phase != Phase.Reporting || state.Stage != DeployStage.Downloading)
            {
                continue;
            }

            int at = slowest.FindIndex(other => other.Downloaded > state.Downloaded);
            slowest.Insert(at < 0 ? slowest.Count : at, state);
            if (slowest.Count > count)
            {
                slowest.RemoveAt(count);
            }
        }

        return slowest.ConvertAll(state => $"{state.Name} {Percent(state.Downloaded)}");
    }

    private string Percent(long downloaded) =>
        _size > 0 ? (downloaded * 100 / _size).ToString(CultureInfo.InvariantCulture) + "%" : downloaded.ToString("N0", CultureInfo.InvariantCulture) + " bytes";

    private HostState Get(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        Expect(host);
        return _hosts[host];
    }

    private void Update(HostState state, DeployLedgerEntry entry)
    {
        if (state.Stage is DeployStage old)
        {
            _stages[(int)old]--;
        }

        _stages[(int)entry.Stage]++;
        _downloaded += entry.Downloaded - state.Downloaded;
        long rate = entry.Stage == DeployStage.Downloading ? entry.Rate : 0;
        _rate += rate - state.Rate;
        state.Stage = entry.Stage;
        state.Downloaded = entry.Downloaded;
        state.Rate = rate;
        state.Version = entry.Version;
        state.FirstUtc = entry.FirstUtc;
        state.LastUtc = entry.LastUtc;
        state.ErrorId = entry.ErrorId;
        state.Message = entry.Message;
    }

    private void Heard(HostState state, DateTime heardUtc)
    {
        // Keep the quiet list ordered by when each host was last heard. Reports arrive in the
        // ledger's version (time) order, so the place is at or next to the back: a step or two.
        Forget(state);
        state.LastHeardUtc = heardUtc;
        LinkedListNode<HostState>? before = _quiet.Last;
        while (before is not null && before.Value.LastHeardUtc > heardUtc)
        {
            before = before.Previous;
        }

        state.Node = before is null ? _quiet.AddFirst(state) : _quiet.AddAfter(before, state);
    }

    private void Forget(HostState state)
    {
        if (state.Node is not null)
        {
            _quiet.Remove(state.Node);
            state.Node = null;
        }
    }

    private FleetPeerResult Finish(HostState state, bool success, bool lost)
    {
        state.Phase = Phase.Done;
        _finished++;
        _succeeded += success ? 1 : 0;
        _lost += lost ? 1 : 0;
        _rate -= state.Rate;
        state.Rate = 0;
        TimeSpan duration = state.LastUtc > state.FirstUtc && state.FirstUtc != default ? state.LastUtc - state.FirstUtc : TimeSpan.Zero;
        string? errorId = success ? null : DeployReporter.CleanErrorId(state.ErrorId);
        return new FleetPeerResult
        {
            ComputerName = state.Name,
            Tag = _tag,
            InfoHash = _infoHash,
            Status = success ? FleetHostStatus.Succeeded : FleetHostStatus.Failed,
            Stage = lost ? null : state.Stage,
            Bytes = success ? _size : 0,
            Duration = duration,
            Rate = success && duration > TimeSpan.Zero ? _size / duration.TotalSeconds : 0,
            Destination = success ? _destination?.Invoke(state.Name) : null,
            FirstReportUtc = state.FirstUtc == default ? null : state.FirstUtc,
            LastReportUtc = state.LastUtc == default ? null : state.LastUtc,
            ErrorId = errorId,
            Error = success ? null : Message(state, errorId!),
        };
    }

    private static string Message(HostState state, string errorId)
    {
        string message = string.IsNullOrWhiteSpace(state.Message) ? errorId : state.Message;
        return message.StartsWith(state.Name + ":", StringComparison.OrdinalIgnoreCase) ? message : $"{state.Name}: {message}";
    }

    private enum Phase
    {
        Waiting,
        Silent,
        Reporting,
        Done,
    }

    private sealed class HostState
    {
        public HostState(string name) => Name = name;

        public string Name { get; }

        public Phase Phase { get; set; }

        public DeployStage? Stage { get; set; }

        public long Downloaded { get; set; }

        public long Rate { get; set; }

        public long Version { get; set; }

        public DateTime FirstUtc { get; set; }

        public DateTime LastUtc { get; set; }

        public DateTime LastHeardUtc { get; set; }

        public string? ErrorId { get; set; }

        public string? Message { get; set; }

        public LinkedListNode<HostState>? Node { get; set; }
    }
}
