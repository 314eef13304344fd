using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Ledger;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>The ledger registry on its own: bounds, eviction, and versions under many updates.</summary>
public sealed class DeployLedgerTests
{
    private static readonly PeerAddress From = PeerAddress.From(IPAddress.Parse("198.18.0.9"));
    private readonly ManualTime _time = new();

    internal static Hash20 Hash(int n)
    {
        byte[] bytes = new byte[Hash20.Length];
        bytes[0] = (byte)n;
        bytes[1] = (byte)(n >> 8);
        bytes[19] = 0x5A;
        return Hash20.Read(bytes);
    }

    internal static string? Report(DeployLedgerRegistry ledgers, Hash20 infoHash, string host, LedgerStage stage, long downloaded = 0, long left = 100, string? errorId = null, string? message = null)
    {
        var request = new ReportRequest
        {
            InfoHash = infoHash,
            Stage = stage,
            Host = Encoding.UTF8.GetBytes(host),
            Downloaded = downloaded,
            Left = left,
            Rate = downloaded / 10,
            ErrorId = errorId is null ? default : Encoding.ASCII.GetBytes(errorId),
            Message = message is null ? default : Encoding.UTF8.GetBytes(message),
        };
        return ledgers.Report(request, From, null, 0);
    }

    [Fact]
    public void HostsPerDeploy_AreBoundedAndKnownHostsStillReport()
    {
        var ledgers = new DeployLedgerRegistry(new TrackerOptions { MaxDeployHosts = 3 }, _time);
        for (int i = 0; i < 3; i++)
        {
            Assert.Null(Report(ledgers, Hash(1), "h" + i, LedgerStage.Starting));
        }

        Assert.Equal(DeployLedgerRegistry.FullFailure, Report(ledgers, Hash(1), "h3", LedgerStage.Starting));
        Assert.Null(Report(ledgers, Hash(1), "h0", LedgerStage.Done, left: 0));
        Assert.Equal(3, ledgers.EntryCount);
        Assert.Equal(1, ledgers.Counters.RefusedFull);
        Assert.Equal(1, ledgers.Summaries()[0].CountOf(LedgerStage.Done));
    }

    [Fact]
    public void Deploys_AreBoundedAndTheLeastRecentlyReportedGoesFirst()
    {
        var ledgers = new DeployLedgerRegistry(new TrackerOptions { MaxDeploys = 2 }, _time);
        Report(ledgers, Hash(1), "a", LedgerStage.Starting);
        _time.Advance(TimeSpan.FromSeconds(1));
        Report(ledgers, Hash(2), "a", LedgerStage.Starting);
        _time.Advance(TimeSpan.FromSeconds(1));
        Report(ledgers, Hash(1), "a", LedgerStage.Downloading);
        _time.Advance(TimeSpan.FromSeconds(1));
        Report(ledgers, Hash(3), "a", LedgerStage.Starting);

        Assert.Equal([Hash(3), Hash(1)], ledgers.Summaries().Select(s => s.InfoHash).ToArray());
        Assert.Null(ledgers.Read(Hash(2), 0, 10, null));
        Assert.Equal(1, ledgers.Counters.DeploysEvicted);
        Assert.True(ledgers.TryTakeEvicted(out Hash20 evicted));
        Assert.Equal(Hash(2), evicted);
        Assert.Equal(2, ledgers.EntryCount);
    }

    [Fact]
    public void EntriesInAll_AreBoundedByEvictingOtherDeploys()
    {
        var ledgers = new DeployLedgerRegistry(new TrackerOptions { MaxDeployEntries = 4 }, _time);
        for (int i = 0; i < 3; i++)
        {
            Report(ledgers, Hash(1), "old" + i, LedgerStage.Done, left: 0);
        }

        _time.Advance(TimeSpan.FromMinutes(5));
        for (int i = 0; i < 4; i++)
        {
            Assert.Null(Report(ledgers, Hash(2), "new" + i, LedgerStage.Starting));
        }

        Assert.Equal(4, ledgers.EntryCount);
        Assert.Equal([Hash(2)], ledgers.Summaries().Select(s => s.InfoHash).ToArray());

        // The only deploy left cannot make room for itself.
        Assert.Equal(DeployLedgerRegistry.FullFailure, Report(ledgers, Hash(2), "new4", LedgerStage.Starting));
        Assert.Null(Report(ledgers, Hash(2), "new0", LedgerStage.Downloading));
    }

    [Fact]
    public void ManyUpdates_KeepCountsSumsAndVersionOrderExact()
    {
        var ledgers = new DeployLedgerRegistry(new TrackerOptions(), _time);
        var random = new Random(13);
        var model = new Dictionary<string, (LedgerStage Stage, long Downloaded, long Version)>();
        long version = 0;
        for (int round = 0; round < 20_000; round++)
        {
            string host = "host" + random.Next(1000);
            var stage = (LedgerStage)random.Next(LedgerNames.StageCount);
            long downloaded = random.Next(1000);
            Assert.Null(Report(ledgers, Hash(1), host, stage, downloaded: downloaded, errorId: stage == LedgerStage.Failed ? "Boom" : null));
            model[host] = (stage, downloaded, ++version);
        }

        DeploySummary summary = ledgers.Summaries().Single();
        Assert.Equal(model.Count, summary.Hosts);
        Assert.Equal(version, summary.Version);
        Assert.Equal(model.Values.Sum(v => v.Downloaded), summary.Downloaded);
        Assert.Equal(model.Values.Sum(v => v.Downloaded / 10), summary.Rate);
        for (int s = 0; s < LedgerNames.StageCount; s++)
        {
            Assert.Equal(model.Values.Count(v => v.Stage == (LedgerStage)s), summary.CountOf((LedgerStage)s));
        }

        foreach (long since in new long[] { 0, 5000, version - 700, version - 1, version })
        {
            var expected = model.Where(p => p.Value.Version > since).OrderBy(p => p.Value.Version).Select(p => p.Key).ToList();
            var actual = new List<string>();
            long next = since;
            DeployPage page;
            do
            {
                page = ledgers.Read(Hash(1), next, 97, null)!;
                actual.AddRange(page.Entries.Select(e => e.Host));
                Assert.True(page.Entries.Zip(page.Entries.Skip(1)).All(p => p.First.Version < p.Second.Version));
                next = page.Next;
            }
            while (page.More);

            Assert.Equal(expected, actual);
            Assert.Equal(version, next);
        }
    }

    [Fact]
    public void Restore_RefusesEntriesOutOfVersionOrder()
    {
        var ledger = new DeployLedger(Hash(1), null, 0, 0);
        ledger.RestoreHeader(10, 0, 0);
        ledger.Restore(new LedgerEntry { Host = "a"u8.ToArray(), Version = 4 });
        Assert.Throws<FormatException>(() => ledger.Restore(new LedgerEntry { Host = "b"u8.ToArray(), Version = 3 }));
        Assert.Throws<FormatException>(() => ledger.Restore(new LedgerEntry { Host = "a"u8.ToArray(), Version = 5 }));
        Assert.Throws<FormatException>(() => ledger.Restore(new LedgerEntry { Host = "c"u8.ToArray(), Version = 11 }));
    }
}
