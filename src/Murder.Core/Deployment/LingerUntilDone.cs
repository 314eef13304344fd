using System;

namespace Murder.Core.Deployment;

/// <summary>
/// When a lingering peer or a seeder may stop (sans-IO: fed the ledger's counts and the time, it
/// answers; the caller does the reading). It stops once the deploy ledger shows at least
/// <see cref="ExpectedHosts"/> hosts terminal (seeding, done or failed: nobody left who still
/// needs a piece), or at <see cref="StopsAtUtc"/> whatever the ledger says (hosts that were never
/// started or were lost never become terminal). The poll interval grows with the fleet so that
/// every host of a deploy polling together stays near <see cref="FleetReadsPerSecond"/> reads
/// per second at the tracker, and is spread by jitter so the hosts do not poll in step.
/// </summary>
public sealed class LingerUntilDone
{
    /// <summary>The shortest pause between two reads of one host.</summary>
    public static readonly TimeSpan MinimumPoll = TimeSpan.FromSeconds(5);

    /// <summary>The longest pause between two reads of one host.</summary>
    public static readonly TimeSpan MaximumPoll = TimeSpan.FromSeconds(60);

    /// <summary>Reads per second that the hosts of one deploy send the tracker together, at most (when the fleet is large enough to reach it).</summary>
    public const int FleetReadsPerSecond = 500;

    /// <summary>A seeder's safety bound when it was given no SeedSeconds: hosts that were never started or were lost never become done.</summary>
    public static readonly TimeSpan DefaultSeederMaximum = TimeSpan.FromHours(24);

    private readonly Random _jitter;
    private System.Collections.Generic.Dictionary<string, bool>? _hosts;

    /// <summary>A decision for a deploy of <paramref name="expectedHosts"/> hosts, lingering at most <paramref name="maximum"/> from <paramref name="startedUtc"/>.</summary>
    public LingerUntilDone(int expectedHosts, TimeSpan maximum, DateTime startedUtc, Random? jitter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedHosts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, TimeSpan.Zero);
        ExpectedHosts = expectedHosts;
        StopsAtUtc = startedUtc + maximum;
        _jitter = jitter ?? Random.Shared;
        double seconds = Math.Clamp((double)expectedHosts / FleetReadsPerSecond, MinimumPoll.TotalSeconds, MaximumPoll.TotalSeconds);
        PollInterval = TimeSpan.FromSeconds(seconds);
    }

    /// <summary>How many hosts the control machine launched.</summary>
    public int ExpectedHosts { get; }

    /// <summary>The safety bound: the latest moment to stop.</summary>
    public DateTime StopsAtUtc { get; }

    /// <summary>The mean pause between two reads of the ledger.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>The terminal hosts seen in the last read, or null before one succeeded.</summary>
    public int? LastTerminal { get; private set; }

    /// <summary>Takes a read of the ledger: the hosts terminal in it (seeding, done or failed).</summary>
    public void Observe(int terminalHosts) => LastTerminal = Math.Max(0, terminalHosts);

    /// <summary>Takes a read of the ledger as its counts per stage.</summary>
    public void Observe(System.Collections.Generic.IReadOnlyDictionary<DeployStage, int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int terminal = 0;
        foreach (var (stage, count) in counts)
        {
            if (DeployStages.IsTerminal(stage))
            {
                terminal += count;
            }
        }

        Observe(terminal);
    }

    /// <summary>
    /// Takes the entries that changed since the watch began (the seeder's reading): each host
    /// counts by its latest stage, and hosts that ended before the watch began (an earlier deploy
    /// of the same release) do not count at all.
    /// </summary>
    public void ObserveChanges(System.Collections.Generic.IEnumerable<(string Host, DeployStage Stage)> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        _hosts ??= new System.Collections.Generic.Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        foreach (var (host, stage) in changes)
        {
            _hosts[host] = DeployStages.IsTerminal(stage);
        }

        int terminal = 0;
        foreach (bool done in _hosts.Values)
        {
            terminal += done ? 1 : 0;
        }

        Observe(terminal);
    }

    /// <summary>Why to stop at <paramref name="nowUtc"/>, or null to keep seeding.</summary>
    public LingerStop? Decide(DateTime nowUtc) =>
        LastTerminal >= ExpectedHosts ? LingerStop.AllHostsDone
        : nowUtc >= StopsAtUtc ? LingerStop.MaximumReached
        : null;

    /// <summary>The pause until the next read: the poll interval, give or take a fifth, never past the safety bound.</summary>
    public TimeSpan NextPoll(DateTime nowUtc)
    {
        TimeSpan pause = PollInterval * (0.8 + (0.4 * _jitter.NextDouble()));
        TimeSpan left = StopsAtUtc - nowUtc;
        return left < TimeSpan.Zero ? TimeSpan.Zero : left < pause ? left : pause;
    }
}
