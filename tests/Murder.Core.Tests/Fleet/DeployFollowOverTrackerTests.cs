using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Murder.Core.Tests.Tracker;
using Xunit;

namespace Murder.Core.Tests.Fleet;

/// <summary>Peers' reporters and the control machine's follower against a real tracker over sockets.</summary>
public sealed class DeployFollowOverTrackerTests
{
    private const long Size = 1_000_000;

    [Fact]
    public async Task Reports_reach_the_ledger_and_the_follower_gives_each_hosts_result_reading_only_changes()
    {
        await using var tracker = new TrackerServerFixture();
        using DeployLedgerClient ledger = DeployLedgerClient.ForAnnounce(tracker.AnnounceUrl);
        string infoHash = TrackerTestData.Torrent.ToHex();
        var follower = new FleetFollower("Deploy1", TimeSpan.FromSeconds(60));
        string[] hosts = { "web1", "web2", "wéb3" };
        foreach (string host in hosts)
        {
            follower.Expect(host);
            follower.Launched(host, DateTime.UtcNow);
        }

        var reporters = hosts.ToDictionary(h => h, h => new DeployReporter(tracker.AnnounceUrl, TrackerTestData.Torrent, h));
        try
        {
            foreach (string host in hosts)
            {
                Assert.True(await reporters[host].ReportAsync(new DeployReport { Stage = DeployStage.Downloading, Downloaded = 100, Left = Size - 100, Rate = 10 }, CancellationToken.None));
            }

            Assert.Equal(TimeSpan.FromSeconds(5), reporters["web1"].Interval);
            long since = 0;
            DeployLedgerPage page = await ledger.ReadAsync(infoHash, since, 1000, CancellationToken.None);
            Assert.Equal(3, page.Entries.Count);
            Assert.Empty(follower.Apply(page, DateTime.UtcNow));
            Assert.Equal(3, follower.Progress().Stages[DeployStage.Downloading]);
            since = page.Next;

            await reporters["web1"].ReportAsync(new DeployReport { Stage = DeployStage.Seeding, Downloaded = Size }, CancellationToken.None);
            await reporters["web2"].ReportAsync(new DeployReport { Stage = DeployStage.Failed, Left = Size, ErrorId = "DiskFull", Message = "web2: no space left" }, CancellationToken.None);
            page = await ledger.ReadAsync(infoHash, since, 1000, CancellationToken.None);
            Assert.Equal(new[] { "web1", "web2" }, page.Entries.Select(e => e.Host));
            IReadOnlyList<FleetPeerResult> results = follower.Apply(page, DateTime.UtcNow);
            Assert.Equal(FleetHostStatus.Succeeded, results[0].Status);
            Assert.Equal("DiskFull", results[1].ErrorId);
            Assert.Equal("web2: no space left", results[1].Error);
            since = page.Next;

            Assert.Empty((await ledger.ReadAsync(infoHash, since, 1000, CancellationToken.None)).Entries);
            await reporters["wéb3"].ReportAsync(new DeployReport { Stage = DeployStage.Done, Downloaded = Size }, CancellationToken.None);
            FleetPeerResult last = Assert.Single(follower.Apply(await ledger.ReadAsync(infoHash, since, 1000, CancellationToken.None), DateTime.UtcNow));
            Assert.Equal("wéb3", last.ComputerName);
            Assert.True(follower.IsComplete);

            DeploySummary listed = Assert.Single((await ledger.ListAsync(CancellationToken.None)).Deploys);
            Assert.Equal(infoHash, listed.InfoHash);
            Assert.Equal(2, listed.Succeeded);
            Assert.Equal(1, listed.Failed);
            Assert.Equal(3, (await ledger.ReadAllAsync(infoHash, CancellationToken.None)).Count);
        }
        finally
        {
            foreach (DeployReporter reporter in reporters.Values)
            {
                reporter.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_unknown_deploy_is_DeployNotFound_and_an_unregistered_torrents_report_is_refused_not_thrown()
    {
        await using var tracker = new TrackerServerFixture();
        using DeployLedgerClient ledger = DeployLedgerClient.ForAnnounce(tracker.AnnounceUrl);
        MurderException missing = await Assert.ThrowsAsync<MurderException>(() => ledger.ReadAsync(new string('f', 40), 0, 10, CancellationToken.None));
        Assert.Equal("DeployNotFound", missing.ErrorId);
        var log = new List<string>();
        using var reporter = new DeployReporter(tracker.AnnounceUrl, new Murder.Core.MetaInfo.InfoHash(new byte[20]), "web1", log: log.Add);
        Assert.False(await reporter.ReportAsync(new DeployReport { Stage = DeployStage.Starting }, CancellationToken.None));
        Assert.Contains(log, line => line.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_thousand_reporting_hosts_are_followed_in_incremental_reads()
    {
        // The control plane at scale without hosts: 1,000 simulated peers report to a real tracker,
        // the follower reads only what changed each time, and each host gives exactly one result.
        await using var tracker = new TrackerServerFixture();
        using DeployLedgerClient ledger = DeployLedgerClient.ForAnnounce(tracker.AnnounceUrl);
        string infoHash = TrackerTestData.Torrent.ToHex();
        var follower = new FleetFollower("Deploy1", TimeSpan.FromSeconds(600));
        const int Hosts = 1000;
        using var reporter = new DeployReporter(tracker.AnnounceUrl, TrackerTestData.Torrent, host: null);
        for (int i = 0; i < Hosts; i++)
        {
            follower.Expect("host" + i);
            follower.Launched("host" + i, DateTime.UtcNow);
        }

        long since = 0;
        int results = 0;
        int largestRead = 0;
        foreach (DeployStage stage in new[] { DeployStage.Downloading, DeployStage.Done })
        {
            for (int batch = 0; batch < Hosts; batch += 250)
            {
                await Parallel.ForEachAsync(Enumerable.Range(batch, 250), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, token) =>
                    Assert.True(await reporter.ReportAsync(new DeployReport { Stage = stage, Downloaded = stage == DeployStage.Done ? Size : 1 }, "host" + i, token)));
                DeployLedgerPage page = await ledger.ReadAsync(infoHash, since, DeployLedgerClient.MaxLimit, CancellationToken.None);
                largestRead = Math.Max(largestRead, page.Entries.Count);
                since = page.Next;
                results += follower.Apply(page, DateTime.UtcNow).Count;
            }
        }

        Assert.Equal(Hosts, results);
        Assert.Equal(250, largestRead);
        Assert.True(follower.IsComplete);
    }
}
