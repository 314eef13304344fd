using System;
using System.Collections.Generic;
using Murder.Core.Deployment;
using Xunit;

namespace Murder.Core.Tests.Deployment;

public class LingerUntilDoneTests
{
    private static readonly DateTime Start = new(2026, 12, 3, 16, 0, 0, DateTimeKind.Utc);

    private static Dictionary<DeployStage, int> Counts(params (DeployStage Stage, int Count)[] counts)
    {
        var all = new Dictionary<DeployStage, int>();
        foreach (DeployStage stage in DeployStages.All)
        {
            all[stage] = 0;
        }

        foreach (var (stage, count) in counts)
        {
            all[stage] = count;
        }

        return all;
    }

    [Fact]
    public void KeepsSeedingWhileAnyExpectedHostStillDownloads()
    {
        var policy = new LingerUntilDone(3, TimeSpan.FromMinutes(10), Start);
        Assert.Null(policy.Decide(Start));

        policy.Observe(Counts((DeployStage.Seeding, 1), (DeployStage.Downloading, 2)));
        Assert.Null(policy.Decide(Start.AddSeconds(5)));

        policy.Observe(Counts((DeployStage.Seeding, 2), (DeployStage.Extracting, 1)));
        Assert.Null(policy.Decide(Start.AddSeconds(10)));
    }

    [Fact]
    public void StopsOnceEveryExpectedHostIsSeedingDoneOrFailed()
    {
        var policy = new LingerUntilDone(3, TimeSpan.FromMinutes(10), Start);
        policy.Observe(Counts((DeployStage.Seeding, 1), (DeployStage.Done, 1), (DeployStage.Failed, 1)));
        Assert.Equal(LingerStop.AllHostsDone, policy.Decide(Start.AddSeconds(15)));
        Assert.Equal(3, policy.LastTerminal);
    }

    [Fact]
    public void HostsThatNeverReportKeepItSeedingUntilTheBound()
    {
        var policy = new LingerUntilDone(4, TimeSpan.FromSeconds(60), Start);
        policy.Observe(Counts((DeployStage.Done, 3)));
        Assert.Null(policy.Decide(Start.AddSeconds(59.9)));
        Assert.Equal(LingerStop.MaximumReached, policy.Decide(Start.AddSeconds(60)));
    }

    [Fact]
    public void ALedgerNeverReadStillStopsAtTheBound()
    {
        var policy = new LingerUntilDone(2, TimeSpan.FromSeconds(30), Start);
        Assert.Null(policy.LastTerminal);
        Assert.Null(policy.Decide(Start.AddSeconds(29)));
        Assert.Equal(LingerStop.MaximumReached, policy.Decide(Start.AddSeconds(31)));
    }

    [Fact]
    public void ALaterReadThatShowsFewerDoneKeepsItSeeding()
    {
        // A host re-run goes from failed back to starting: it needs pieces again.
        var policy = new LingerUntilDone(2, TimeSpan.FromMinutes(10), Start);
        policy.Observe(Counts((DeployStage.Done, 1), (DeployStage.Failed, 1)));
        policy.Observe(Counts((DeployStage.Done, 1), (DeployStage.Starting, 1)));
        Assert.Null(policy.Decide(Start.AddSeconds(20)));
    }

    [Fact]
    public void ChangesSinceStartCountEachHostByItsLatestStageOnly()
    {
        var policy = new LingerUntilDone(2, TimeSpan.FromMinutes(10), Start);
        policy.ObserveChanges([("web1", DeployStage.Starting), ("web2", DeployStage.Downloading)]);
        Assert.Null(policy.Decide(Start.AddSeconds(5)));

        policy.ObserveChanges([("web1", DeployStage.Seeding), ("WEB1", DeployStage.Done)]);
        Assert.Equal(1, policy.LastTerminal);
        Assert.Null(policy.Decide(Start.AddSeconds(10)));

        policy.ObserveChanges([("web2", DeployStage.Failed)]);
        Assert.Equal(LingerStop.AllHostsDone, policy.Decide(Start.AddSeconds(15)));
    }

    [Theory]
    [InlineData(3, 5)]
    [InlineData(2_500, 5)]
    [InlineData(10_000, 20)]
    [InlineData(1_000_000, 60)]
    public void PollIntervalGrowsWithTheFleet(int hosts, double seconds)
    {
        var policy = new LingerUntilDone(hosts, TimeSpan.FromHours(1), Start);
        Assert.Equal(TimeSpan.FromSeconds(seconds), policy.PollInterval);
    }

    [Fact]
    public void AFleetPollingTogetherStaysUnderTheTrackersBudget()
    {
        foreach (int hosts in new[] { 3_000, 10_000, 25_000 })
        {
            var policy = new LingerUntilDone(hosts, TimeSpan.FromHours(1), Start);
            double shortestPause = policy.PollInterval.TotalSeconds * 0.8;
            Assert.True(hosts / shortestPause <= LingerUntilDone.FleetReadsPerSecond / 0.8, $"{hosts} hosts read {hosts / shortestPause:0} times a second");
        }
    }

    [Fact]
    public void PausesAreJitteredAndNeverPassTheBound()
    {
        var policy = new LingerUntilDone(3, TimeSpan.FromSeconds(60), Start, new Random(7));
        var seen = new HashSet<TimeSpan>();
        for (int i = 0; i < 50; i++)
        {
            TimeSpan pause = policy.NextPoll(Start);
            Assert.InRange(pause, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6));
            seen.Add(pause);
        }

        Assert.True(seen.Count > 10);
        Assert.Equal(TimeSpan.FromSeconds(2), policy.NextPoll(Start.AddSeconds(58)));
        Assert.Equal(TimeSpan.Zero, policy.NextPoll(Start.AddSeconds(61)));
    }

    [Fact]
    public void RefusesANonsenseFleet()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LingerUntilDone(0, TimeSpan.FromSeconds(1), Start));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LingerUntilDone(1, TimeSpan.FromSeconds(-1), Start));
    }
}
