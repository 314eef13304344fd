using System;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Fleet;
using Murder.Core.MetaInfo;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public class ReleaseTorrentCheckTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    // Two releases of the same tag: the same name (TAG.tgz), different content, different info-hashes.
    private static readonly TorrentMetaInfo Current = Release(seed: 1);
    private static readonly TorrentMetaInfo Earlier = Release(seed: 2);

    internal static TorrentMetaInfo Release(int seed, string name = "Deploy20260101.tgz", string announce = "http://tracker01:8998/announce") =>
        ReleaseTorrents.Parse(seed, name, announce);

    private static Task<ReleaseTorrentCheckResult> Check(FakeTrackerClient tracker, TorrentMetaInfo torrent, TimeSpan? wait = null) =>
        new ReleaseTorrentCheck(tracker, wait ?? TimeSpan.FromSeconds(5), Poll).CheckAsync(torrent, "/tmp/Deploy20260101.tgz.torrent", CancellationToken.None);

    [Fact]
    public async Task Verified_WhenTheTrackerListsThisInfoHashWithASeeder()
    {
        var tracker = new FakeTrackerClient();
        tracker.Torrents.Add(FakeTrackerClient.Status(Current.InfoHash.ToHex(), Current.Name, 1));

        ReleaseTorrentCheckResult result = await Check(tracker, Current);

        Assert.True(result.Verified);
        Assert.Equal(1, result.Seeders);
        Assert.Null(result.Warning);
    }

    [Fact]
    public async Task StaleTorrent_WhenTheTrackerServesAnotherReleaseOfTheName_NamingBothInfoHashes()
    {
        // The earlier torrent is on this machine; the tracker's registration was replaced by the current one.
        var tracker = new FakeTrackerClient();
        tracker.Torrents.Add(FakeTrackerClient.Status(Current.InfoHash.ToHex(), Current.Name, 0));

        MurderException error = await Assert.ThrowsAsync<MurderException>(() => Check(tracker, Earlier));

        Assert.Equal("StaleTorrent", error.ErrorId);
        Assert.Contains(Earlier.InfoHash.ToHex(), error.Message, StringComparison.Ordinal);
        Assert.Contains(Current.InfoHash.ToHex(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleTorrent_WhenBothAreListedButOnlyTheOtherReleaseIsSeeded()
    {
        // An open tracker keeps both swarms: the one with the seeder is the release being served.
        var tracker = new FakeTrackerClient();
        tracker.Torrents.Add(FakeTrackerClient.Status(Earlier.InfoHash.ToHex(), Earlier.Name, 0));
        tracker.Torrents.Add(FakeTrackerClient.Status(Current.InfoHash.ToHex(), Current.Name, 1));

        MurderException error = await Assert.ThrowsAsync<MurderException>(() => Check(tracker, Earlier));

        Assert.Equal("StaleTorrent", error.ErrorId);
    }

    [Fact]
    public async Task WaitsForASeederWhoseFirstAnnounceIsStillOnItsWay()
    {
        var tracker = new FakeTrackerClient();
        var listed = FakeTrackerClient.Status(Current.InfoHash.ToHex(), Current.Name, 0);
        tracker.Torrents.Add(listed);
        tracker.BeforeScrape = count =>
        {
            if (count == 5)
            {
                tracker.Torrents[0] = listed with { Seeders = 1 };
            }
        };

        ReleaseTorrentCheckResult result = await Check(tracker, Current);

        Assert.True(result.Verified);
    }

    [Fact]
    public async Task TorrentNotSeeded_WhenNobodySeedsItWithinTheWait()
    {
        var tracker = new FakeTrackerClient();
        tracker.Torrents.Add(FakeTrackerClient.Status(Current.InfoHash.ToHex(), Current.Name, 0));
        tracker.Torrents.Add(FakeTrackerClient.Status(Release(seed: 3, name: "Other.tgz").InfoHash.ToHex(), "Other.tgz", 4));

        MurderException error = await Assert.ThrowsAsync<MurderException>(() => Check(tracker, Current, TimeSpan.FromMilliseconds(50)));

        Assert.Equal("TorrentNotSeeded", error.ErrorId);
        Assert.Contains("Start-MurderSeeding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TorrentNotRegistered_WhenTheTrackerDoesNotListItAtAll()
    {
        var tracker = new FakeTrackerClient();

        MurderException error = await Assert.ThrowsAsync<MurderException>(() => Check(tracker, Current, TimeSpan.FromMilliseconds(50)));

        Assert.Equal("TorrentNotRegistered", error.ErrorId);
        Assert.Contains("Register-MurderTorrent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unverified_WithAWarning_WhenTheTrackerCannotBeReachedFromHere()
    {
        var tracker = new FakeTrackerClient { ScrapeError = new MurderException("TrackerUnreachable", MurderErrorCategory.ConnectionError, "Cannot reach the tracker.") };

        ReleaseTorrentCheckResult result = await Check(tracker, Current);

        Assert.False(result.Verified);
        Assert.Contains(Current.InfoHash.ToHex(), result.Warning, StringComparison.Ordinal);
        Assert.Contains("Cannot reach the tracker.", result.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unverified_WhenTheTorrentNamesNoHttpTracker()
    {
        ReleaseTorrentCheckResult result = await Check(new FakeTrackerClient(), Release(seed: 1, announce: "udp://tracker01:8998"));

        Assert.False(result.Verified);
        Assert.NotNull(result.Warning);
    }

    [Fact]
    public async Task Warns_WhenAnotherReleaseOfTheNameIsSeededToo()
    {
        var tracker = new FakeTrackerClient();
        tracker.Torrents.Add(FakeTrackerClient.Status(Current.InfoHash.ToHex(), Current.Name, 1));
        tracker.Torrents.Add(FakeTrackerClient.Status(Earlier.InfoHash.ToHex(), Earlier.Name, 2));

        ReleaseTorrentCheckResult result = await Check(tracker, Current);

        Assert.True(result.Verified);
        Assert.Contains(Earlier.InfoHash.ToHex(), result.Warning, StringComparison.Ordinal);
    }
}
