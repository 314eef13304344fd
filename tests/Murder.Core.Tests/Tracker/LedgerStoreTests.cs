using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Ledger;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>The ledger on disk: round trip, restart, write-behind, corrupt files, eviction.</summary>
public sealed class LedgerStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "murder-ledger-" + Guid.NewGuid().ToString("N"));
    private readonly ManualTime _time = new();
    private readonly List<string> _log = new();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private (DeployLedgerRegistry Ledgers, LedgerStore Store, int Loaded) Open(TrackerOptions? options = null)
    {
        options ??= new TrackerOptions();
        var ledgers = new DeployLedgerRegistry(options, _time);
        var store = new LedgerStore(_directory, ledgers, options, _log.Add);
        return (ledgers, store, store.Load());
    }

    [Fact]
    public void RoundTrip_KeepsEveryFieldAndVersionsGoOnAboveTheSavedOnes()
    {
        (DeployLedgerRegistry ledgers, LedgerStore store, int loaded) = Open();
        Assert.Equal(0, loaded);
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "web1", LedgerStage.Downloading, downloaded: 40, left: 60);
        _time.Advance(TimeSpan.FromSeconds(2.5));
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "wéb2", LedgerStage.Failed, errorId: "DiskFull", message: "No space\nleft");
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(2), "web1", LedgerStage.Done, left: 0);
        Assert.Equal(2, store.SaveChanged());
        Assert.Equal(0, store.SaveChanged());
        DeployPage before = ledgers.Read(DeployLedgerTests.Hash(1), 0, 100, null)!;

        (DeployLedgerRegistry again, LedgerStore againStore, int reloaded) = Open();
        Assert.Equal(2, reloaded);
        Assert.Equal(3, again.EntryCount);
        DeployPage after = again.Read(DeployLedgerTests.Hash(1), 0, 100, null)!;
        Assert.Equal(before.Entries, after.Entries);
        Assert.Equal(before.Deploy.FirstUtc, after.Deploy.FirstUtc);
        Assert.Equal(before.Deploy.LastUtc, after.Deploy.LastUtc);
        Assert.Equal(before.Deploy.Counts, after.Deploy.Counts);
        Assert.Equal(before.Deploy.Version + LedgerStore.RestartVersionGap, after.Deploy.Version);

        // A reader that saw versions the crash lost still sees every report after the restart.
        DeployLedgerTests.Report(again, DeployLedgerTests.Hash(1), "web3", LedgerStage.Starting);
        DeployPage newer = again.Read(DeployLedgerTests.Hash(1), before.Deploy.Version + 1000, 100, null)!;
        Assert.Equal(["web3"], newer.Entries.Select(e => e.Host).ToArray());
        Assert.Equal(1, againStore.SaveChanged());
        Assert.Empty(_log);
    }

    [Fact]
    public void NewHostsAndStages_AreSavedPromptlyAndProgressAtTheInterval()
    {
        (DeployLedgerRegistry ledgers, LedgerStore store, _) = Open();
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "a", LedgerStage.Downloading);
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(2), "a", LedgerStage.Downloading);
        Assert.Equal(2, store.SaveChanged(resultsOnly: true));

        // Bytes alone wait for the interval; a stage change does not.
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "a", LedgerStage.Downloading);
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(2), "a", LedgerStage.Downloading);
        Assert.Equal(0, store.SaveChanged(resultsOnly: true));
        File.Delete(store.PathOf(DeployLedgerTests.Hash(1)));
        File.Delete(store.PathOf(DeployLedgerTests.Hash(2)));
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(2), "a", LedgerStage.Done, left: 0);
        Assert.Equal(1, store.SaveChanged(resultsOnly: true));
        Assert.True(File.Exists(store.PathOf(DeployLedgerTests.Hash(2))));
        Assert.False(File.Exists(store.PathOf(DeployLedgerTests.Hash(1))));

        // A result repeated is not news.
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(2), "a", LedgerStage.Done, left: 0);
        Assert.Equal(0, store.SaveChanged(resultsOnly: true));
        Assert.Equal(2, store.SaveChanged());
    }

    [Fact]
    public void CorruptFiles_AreSetAsideAndTheRestLoads()
    {
        (DeployLedgerRegistry ledgers, LedgerStore store, _) = Open();
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "a", LedgerStage.Done, left: 0);
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(2), "b", LedgerStage.Done, left: 0);
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(3), "c", LedgerStage.Done, left: 0);
        store.SaveChanged();
        string flipped = store.PathOf(DeployLedgerTests.Hash(1));
        byte[] bytes = File.ReadAllBytes(flipped);
        bytes[40] ^= 0x01;
        File.WriteAllBytes(flipped, bytes);
        string truncated = store.PathOf(DeployLedgerTests.Hash(2));
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..30]);
        File.WriteAllText(Path.Combine(_directory, "0000000000000000000000000000000000000000.ledger"), "not a ledger");
        File.Copy(store.PathOf(DeployLedgerTests.Hash(3)), Path.Combine(_directory, "1111111111111111111111111111111111111111.ledger"));
        File.WriteAllText(store.PathOf(DeployLedgerTests.Hash(4)) + ".tmp", "half a save");

        (DeployLedgerRegistry again, _, int loaded) = Open();
        Assert.Equal(1, loaded);
        Assert.Equal([DeployLedgerTests.Hash(3)], again.Summaries().Select(s => s.InfoHash).ToArray());
        Assert.Equal(4, Directory.GetFiles(_directory, "*.ledger.corrupt-*").Length);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
        Assert.Equal(4, _log.Count(line => line.StartsWith("Set aside the unreadable deploy ledger", StringComparison.Ordinal)));
        Assert.Contains(_log, line => line.Contains("checksum", StringComparison.Ordinal));
    }

    [Fact]
    public void FilesWithAValidChecksumButBadContent_AreRefusedCleanly()
    {
        // Every byte of a small ledger changed in turn, the checksum made valid again: reading either
        // gives a ledger or a FormatException, never another exception (an attacker who can write the
        // state directory can forge the checksum, but not crash the tracker).
        (DeployLedgerRegistry ledgers, LedgerStore store, _) = Open();
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "web1", LedgerStage.Downloading, downloaded: 40, left: 60);
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "web2", LedgerStage.Failed, errorId: "DiskFull", message: "full");
        store.SaveChanged();
        byte[] good = File.ReadAllBytes(store.PathOf(DeployLedgerTests.Hash(1)));
        int refused = 0;
        for (int position = 8; position < good.Length - 32; position++)
        {
            foreach (byte value in new byte[] { 0x00, 0xFF, 0x80, (byte)(good[position] + 1) })
            {
                byte[] bad = (byte[])good.Clone();
                bad[position] = value;
                System.Security.Cryptography.SHA256.HashData(bad.AsSpan(0, bad.Length - 32), bad.AsSpan(bad.Length - 32));
                try
                {
                    LedgerFile.Read(bad, 100);
                }
                catch (FormatException)
                {
                    refused++;
                }
            }
        }

        Assert.True(refused > 0);
        Assert.Throws<FormatException>(() => LedgerFile.Read(good, maxHosts: 1));
    }

    [Fact]
    public void EvictedDeploys_LeaveTheDisk()
    {
        (DeployLedgerRegistry ledgers, LedgerStore store, _) = Open(new TrackerOptions { MaxDeploys = 1 });
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "a", LedgerStage.Done, left: 0);
        store.SaveChanged();
        Assert.True(File.Exists(store.PathOf(DeployLedgerTests.Hash(1))));
        _time.Advance(TimeSpan.FromSeconds(1));
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(2), "a", LedgerStage.Starting);
        store.SaveChanged();
        Assert.False(File.Exists(store.PathOf(DeployLedgerTests.Hash(1))));
        Assert.True(File.Exists(store.PathOf(DeployLedgerTests.Hash(2))));
    }

    [Fact]
    public void Loading_KeepsTheBoundsOfTheNewSettings()
    {
        (DeployLedgerRegistry ledgers, LedgerStore store, _) = Open();
        for (int i = 1; i <= 3; i++)
        {
            DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(i), "a", LedgerStage.Done, left: 0);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        store.SaveChanged();
        (DeployLedgerRegistry again, _, _) = Open(new TrackerOptions { MaxDeploys = 2 });
        Assert.Equal([DeployLedgerTests.Hash(3), DeployLedgerTests.Hash(2)], again.Summaries().Select(s => s.InfoHash).ToArray());
        Assert.False(File.Exists(store.PathOf(DeployLedgerTests.Hash(1))));

        (DeployLedgerRegistry small, _, int loaded) = Open(new TrackerOptions { MaxDeployHosts = 1, MaxDeploys = 5 });
        Assert.Equal(2, loaded);
        Assert.Equal(2, small.EntryCount);
    }

    [Fact]
    public void FailedSaves_AreLoggedOnceAndRetried()
    {
        (DeployLedgerRegistry ledgers, LedgerStore store, _) = Open();
        DeployLedgerTests.Report(ledgers, DeployLedgerTests.Hash(1), "a", LedgerStage.Starting);
        Directory.Delete(_directory, recursive: true);
        File.WriteAllText(_directory, "a file where the directory was");
        try
        {
            Assert.Equal(0, store.SaveChanged());
            Assert.Equal(0, store.SaveChanged());
            Assert.Single(_log, line => line.StartsWith("Cannot save the deploy ledger", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(_directory);
        }

        Assert.Equal(1, store.SaveChanged());
        Assert.Contains(_log, line => line.StartsWith("Deploy ledgers are saved again", StringComparison.Ordinal));
    }
}
