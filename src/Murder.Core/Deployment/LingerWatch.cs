using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Fleet;
using Murder.Core.MetaInfo;
using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>
/// Runs a lingering peer or a seeder until <see cref="LingerUntilDone"/> says stop: it reads the
/// torrent's deploy ledger (one small request, `limit=1`, for the counts) every poll interval.
/// A ledger that cannot be read is logged and read again later; the safety bound still holds.
/// </summary>
public static class LingerWatch
{
    // A version above any the ledger gives: the answer holds the counts and no entry (the tracker's cheapest read).
    private const long NoEntries = long.MaxValue / 2;
    private const int ChangesPerRead = 1000;

    /// <summary>Seeds with <paramref name="host"/> until every expected host is done, the bound is reached or <paramref name="cancellation"/> is cancelled (null then).</summary>
    /// <param name="host">The seeding to stop.</param>
    /// <param name="torrent">Its torrent: the tracker and info-hash.</param>
    /// <param name="policy">When to stop.</param>
    /// <param name="log">Lines for the log.</param>
    /// <param name="cancellation">Stops seeding early.</param>
    /// <param name="changesSinceStart">
    /// Count only hosts that reported since this watch began, reading every change once (the
    /// seeder: one process, so the changes of the whole deploy are affordable, and a re-deploy of
    /// the same release must not stop it at once on the earlier deploy's entries). Lingering peers
    /// read the counts only (one small answer each, whatever the fleet size).
    /// </param>
    public static async Task<LingerStop?> SeedAsync(SeedingHost host, TorrentMetaInfo torrent, LingerUntilDone policy, Action<string>? log, CancellationToken cancellation, bool changesSinceStart = false)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(policy);
        using var seeding = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task<LingerStop?> watch = WatchAsync(torrent, policy, log, changesSinceStart, seeding.Token);
        Task run = host.RunAsync(seeding.Token);
        Task first = await Task.WhenAny(watch, run).ConfigureAwait(false);
        await seeding.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
        LingerStop? stop = await watch.ConfigureAwait(false);
        return first == run && !cancellation.IsCancellationRequested ? LingerStop.MaximumReached : stop;
    }

    /// <summary>Reads the ledger until <paramref name="policy"/> says stop (its reason) or <paramref name="cancellation"/> (null).</summary>
    public static async Task<LingerStop?> WatchAsync(TorrentMetaInfo torrent, LingerUntilDone policy, Action<string>? log, bool changesSinceStart, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(policy);
        DeployLedgerClient ledger;
        string infoHash = torrent.InfoHash.ToHex();
        try
        {
            using HttpSwarmTracker tracker = HttpSwarmTracker.For(torrent);
            ledger = DeployLedgerClient.ForAnnounce(tracker.AnnounceUrl);
        }
        catch (MurderException error)
        {
            log?.Invoke($"Cannot read the deploy ledger ({error.Message}); seeding until the maximum linger instead.");
            return await WaitForBoundAsync(policy, cancellation).ConfigureAwait(false);
        }

        using (ledger)
        {
            bool warned = false;
            long? since = changesSinceStart ? null : NoEntries;
            try
            {
                while (true)
                {
                    try
                    {
                        since = await ReadAsync(ledger, infoHash, policy, since, cancellation).ConfigureAwait(false);
                    }
                    catch (MurderException error) when (!cancellation.IsCancellationRequested)
                    {
                        if (since is null && error.ErrorId == "DeployNotFound")
                        {
                            // No report yet: every change to come belongs to this deploy.
                            since = 0;
                        }

                        // Unknown yet (no report arrived) or the tracker away a moment: ask again later.
                        else if (!warned)
                        {
                            log?.Invoke($"Reading the deploy ledger failed ({error.ErrorId}): {error.Message} Reading again every {policy.PollInterval.TotalSeconds:0} s.");
                            warned = true;
                        }
                    }

                    DateTime now = DateTime.UtcNow;
                    if (policy.Decide(now) is LingerStop stop)
                    {
                        log?.Invoke(stop == LingerStop.AllHostsDone
                            ? $"The deploy ledger shows {policy.LastTerminal} of {policy.ExpectedHosts} host(s) seeding, done or failed: stopping."
                            : $"The maximum linger was reached with {policy.LastTerminal?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no"} of {policy.ExpectedHosts} host(s) done in the deploy ledger: stopping.");
                        return stop;
                    }

                    await Task.Delay(policy.NextPoll(now), cancellation).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    /// <summary>One poll: the counts only (since = <see cref="NoEntries"/>), the baseline version (since null), or the changes since a version; returns the next since.</summary>
    private static async Task<long?> ReadAsync(DeployLedgerClient ledger, string infoHash, LingerUntilDone policy, long? since, CancellationToken cancellation)
    {
        if (since is NoEntries)
        {
            DeployLedgerPage counts = await ledger.ReadAsync(infoHash, NoEntries, 1, cancellation).ConfigureAwait(false);
            policy.Observe(counts.Deploy.Counts);
            return since;
        }

        if (since is null)
        {
            return (await ledger.ReadAsync(infoHash, NoEntries, 1, cancellation).ConfigureAwait(false)).Version;
        }

        long cursor = since.Value;
        for (int page = 0; page < 100; page++)
        {
            DeployLedgerPage changes = await ledger.ReadAsync(infoHash, cursor, ChangesPerRead, cancellation).ConfigureAwait(false);
            policy.ObserveChanges(changes.Entries.Select(e => (e.Host, e.Stage)));
            cursor = Math.Max(cursor, changes.Next);
            if (!changes.More)
            {
                break;
            }
        }

        return cursor;
    }

    /// <summary>
    /// Waits until the ledger shows no host of the deploy still seeding (the lingering peers saw
    /// every host done and ended), at most <paramref name="bound"/>; true when none is. One read a
    /// second, counts only.
    /// </summary>
    public static async Task<bool> WaitForNoneSeedingAsync(DeployLedgerClient ledger, string infoHash, TimeSpan bound, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        DateTime until = DateTime.UtcNow + bound;
        while (true)
        {
            try
            {
                DeployLedgerPage counts = await ledger.ReadAsync(infoHash, NoEntries, 1, cancellation).ConfigureAwait(false);
                if (!counts.Deploy.Counts.TryGetValue(DeployStage.Seeding, out int seeding) || seeding == 0)
                {
                    return true;
                }
            }
            catch (MurderException) when (!cancellation.IsCancellationRequested)
            {
                // The tracker away a moment: the bound still holds.
            }

            if (DateTime.UtcNow >= until)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellation).ConfigureAwait(false);
        }
    }

    private static async Task<LingerStop?> WaitForBoundAsync(LingerUntilDone policy, CancellationToken cancellation)
    {
        try
        {
            while (policy.Decide(DateTime.UtcNow) is null)
            {
                await Task.Delay(policy.NextPoll(DateTime.UtcNow), cancellation).ConfigureAwait(false);
            }

            return LingerStop.MaximumReached;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
