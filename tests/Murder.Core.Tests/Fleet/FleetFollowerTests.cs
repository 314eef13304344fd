using System;
using System.Collections.Generic;
using System.Linq;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public sealed class FleetFollowerTests
{
    private const long Size = 1000;
    private static readonly DateTime Start = new(2026, 12, 3, 15, 0, 0, DateTimeKind.Utc);
    private long _version;

    private DeployLedgerPage Page(DateTime trackerNow, params (string Host, DeployStage Stage, long Downloaded, DateTime Last)[] entries) => new()
    {
        NowUtc = trackerNow,
        Deploy = new DeploySummary { InfoHash = new string('a', 40), Tag = "T", Size = Size },
        Entries = entries.Select(e => new DeployLedgerEntry
        {
            Host = e.Host,
            Stage = e.Stage,
            Downloaded = e.Downloaded,
            Left = Size - e.Downloaded,
            Rate = e.Stage == DeployStage.Downloading ? 100 : 0,
            FirstUtc = trackerNow.AddSeconds(-30),
            LastUtc = e.Last,
            ErrorId = e.Stage == DeployStage.Failed ? "DownloadStalled" : null,
            Message = e.Stage == DeployStage.Failed ? "no data" : null,
            Version = ++_version,
        }).ToList(),
    };

    [Fact]
    public void Each_host_gives_one_result_when_it_reaches_seeding_done_or_failed()
    {
        var follower = new FleetFollower("T", TimeSpan.FromSeconds(60), destination: host => "/srv/releases/T");
        foreach (string host in new[] { "web1", "web2", "web3" })
        {
            follower.Expect(host);
            follower.Launched(host, Start);
        }

        Assert.Empty(follower.Apply(Page(Start, ("web1", DeployStage.Downloading, 500, Start), ("web2", DeployStage.Starting, 0, Start)), Start));
        FleetProgress progress = follower.Progress();
        Assert.Equal(1, progress.Stages[DeployStage.Downloading]);
        Assert.Equal(1, progress.Silent);
        Assert.Equal(500, progress.Downloaded);
        Assert.Equal(3 * Size, progress.TotalBytes);
        Assert.Equal(100, progress.Rate);

        IReadOnlyList<FleetPeerResult> finished = follower.Apply(Page(Start.AddSeconds(5), ("web1", DeployStage.Seeding, Size, Start.AddSeconds(5)), ("web3", DeployStage.Failed, 10, Start.AddSeconds(5))), Start.AddSeconds(5));
        Assert.Equal(new[] { "web1", "web3" }, finished.Select(r => r.ComputerName));
        FleetPeerResult ok = finished[0];
        Assert.Equal(FleetHostStatus.Succeeded, ok.Status);
        Assert.Equal(DeployStage.Seeding, ok.Stage);
        Assert.Equal(Size, ok.Bytes);
        Assert.Equal("/srv/releases/T", ok.Destination);
        Assert.Null(ok.ErrorId);
        FleetPeerResult failed = finished[1];
        Assert.Equal(FleetHostStatus.Failed, failed.Status);
        Assert.Equal("DownloadStalled", failed.ErrorId);
        Assert.Equal("web3: no data", failed.Error);
        Assert.False(follower.IsComplete);
        Assert.Equal(0, follower.Progress().Rate);

        // A later report of a finished host (seeding, then done) moves the counts but is no second result.
        Assert.Empty(follower.Apply(Page(Start.AddSeconds(6), ("web1", DeployStage.Done, Size, Start.AddSeconds(6))), Start.AddSeconds(6)));
        Assert.Equal(1, follower.Progress().Stages[DeployStage.Done]);
        Assert.Single(follower.Apply(Page(Start.AddSeconds(7), ("web2", DeployStage.Done, Size, Start.AddSeconds(7))), Start.AddSeconds(7)));
        Assert.True(follower.IsComplete);
        Assert.Equal(2, follower.Progress().Succeeded);
    }

    [Fact]
    public void A_host_that_cannot_start_ends_with_its_error_at_once()
    {
        var follower = new FleetFollower("T", TimeSpan.FromSeconds(60));
        follower.Expect("web1");
        FleetPeerResult result = follower.LaunchFailed("web1", "SshAuthenticationFailed", "web1: the key was refused.");
        Assert.Equal("SshAuthenticationFailed", result.ErrorId);
        Assert.Equal("web1: the key was refused.", result.Error);
        Assert.True(follower.IsComplete);
        Assert.Empty(follower.ExpireLost(Start.AddHours(1)));
    }

    [Fact]
    public void A_started_host_silent_past_the_deadline_is_lost_and_only_then()
    {
        var follower = new FleetFollower("T", TimeSpan.FromSeconds(60));
        follower.Expect("never");
        follower.Expect("went-quiet");
        follower.Expect("waiting");
        follower.Launched("never", Start);
        follower.Launched("went-quiet", Start);
        follower.Apply(Page(Start.AddSeconds(30), ("went-quiet", DeployStage.Downloading, 300, Start.AddSeconds(30))), Start.AddSeconds(30));

        Assert.Empty(follower.ExpireLost(Start.AddSeconds(60)));
        FleetPeerResult never = Assert.Single(follower.ExpireLost(Start.AddSeconds(61)));
        Assert.Equal("never", never.ComputerName);
        Assert.Equal(FleetFollower.HostLostErrorId, never.ErrorId);
        Assert.Contains("never reported", never.Error, StringComparison.Ordinal);
        Assert.Null(never.Stage);

        Assert.Empty(follower.ExpireLost(Start.AddSeconds(90)));
        FleetPeerResult quiet = Assert.Single(follower.ExpireLost(Start.AddSeconds(91)));
        Assert.Equal("went-quiet", quiet.ComputerName);
        Assert.Contains("downloading, 30%", quiet.Error, StringComparison.Ordinal);
        Assert.Equal(2, follower.Progress().Lost);
        Assert.Equal(0, follower.Progress().Downloaded - 300);

        // A host never launched is waiting, not lost, however long it takes.
        Assert.Empty(follower.ExpireLost(Start.AddDays(1)));
        Assert.Equal(1, follower.Progress().Waiting);
        Assert.False(follower.IsComplete);
    }

    [Fact]
    public void Report_ages_are_measured_on_the_trackers_clock_so_a_skewed_clock_loses_nobody()
    {
        var follower = new FleetFollower("T", TimeSpan.FromSeconds(60));
        follower.Expect("web1");
        follower.Launched("web1", Start);
        DateTime trackerClock = Start.AddHours(-3);
        follower.Apply(Page(trackerClock, ("web1", DeployStage.Downloading, 1, trackerClock.AddSeconds(-2))), Start);
        Assert.Empty(follower.ExpireLost(Start.AddSeconds(50)));
        Assert.Single(follower.ExpireLost(Start.AddSeconds(59)));
    }

    [Fact]
    public void Hosts_the_control_machine_did_not_start_are_ignored_unless_re_attaching()
    {
        var launched = new FleetFollower("T", TimeSpan.FromSeconds(60));
        launched.Expect("web1");
        launched.Apply(Page(Start, ("other", DeployStage.Done, Size, Start), ("WEB1", DeployStage.Downloading, 1, Start)), Start);
        Assert.Equal(1, launched.Hosts);
        Assert.Equal(1, launched.Progress().Stages[DeployStage.Downloading]);

        var reattached = new FleetFollower("T", TimeSpan.FromSeconds(60), followUnlisted: true);
        DeployLedgerPage page = Page(Start, ("web1", DeployStage.Done, Size, Start), ("web2", DeployStage.Downloading, 1, Start));
        page = page with { Entries = page.Entries.Append(new DeployLedgerEntry { Host = "seeder1", Role = "seeder", Stage = DeployStage.Seeding, Version = ++_version }).ToList() };
        Assert.Single(reattached.Apply(page, Start));
        Assert.Equal(2, reattached.Hosts);
        Assert.Single(reattached.ExpireLost(Start.AddSeconds(61)));
        Assert.True(reattached.IsComplete);
    }

    [Fact]
    public void An_entry_no_newer_than_the_hosts_last_is_ignored()
    {
        var follower = new FleetFollower("T", TimeSpan.FromSeconds(60));
        follower.Expect("web1");
        DeployLedgerPage older = Page(Start, ("web1", DeployStage.Failed, 0, Start));
        DeployLedgerPage newer = Page(Start, ("web1", DeployStage.Downloading, 600, Start));
        follower.Apply(newer, Start);
        Assert.Empty(follower.Apply(older, Start));
        Assert.Equal(600, follower.Progress().Downloaded);
    }

    [Fact]
    public void The_slowest_downloading_hosts_are_named()
    {
        var follower = new FleetFollower("T", TimeSpan.FromSeconds(60));
        var entries = new List<(string, DeployStage, long, DateTime)>();
        for (int i = 0; i < 10; i++)
        {
            follower.Expect("h" + i);
            entries.Add(("h" + i, DeployStage.Downloading, 100 + (i * 50 % 500), Start));
        }

        follower.Apply(Page(Start, entries.ToArray()), Start);
        Assert.Equal(new[] { "h0 10%", "h1 15%", "h2 20%" }, follower.Slowest(3));
    }

    [Fact]
    public void Ten_thousand_hosts_are_followed_with_work_per_change_only()
    {
        // Every host launched, reporting, then finishing in pages of 1,000 changes: one result each,
        // no loss while reports keep coming, and the progress is counts, never a list of hosts.
        var follower = new FleetFollower("T", TimeSpan.FromSeconds(60));
        const int Hosts = 10_000;
        for (int i = 0; i < Hosts; i++)
        {
            follower.Expect("host" + i);
            follower.Launched("host" + i, Start);
        }

        DateTime now = Start;
        int results = 0;
        foreach (DeployStage stage in new[] { DeployStage.Starting, DeployStage.Downloading, DeployStage.Done })
        {
            for (int batch = 0; batch < Hosts; batch += 1000)
            {
                now = now.AddSeconds(1);
                var page = Page(now, Enumerable.Range(batch, 1000).Select(i => ("host" + i, stage, stage == DeployStage.Done ? Size : 0L, now)).ToArray());
                results += follower.Apply(page, now).Count;
                Assert.Empty(follower.ExpireLost(now));
            }
        }

        Assert.Equal(Hosts, results);
        Assert.True(follower.IsComplete);
        Assert.Equal(Hosts, follower.Progress().Succeeded);
    }
}
