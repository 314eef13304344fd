using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Tests.Fleet;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;
using Xunit;

namespace Murder.Core.Tests.Tracker;

public sealed class TorrentRegistrarTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private string WriteTorrent(string relative, int seed, string announce = "http://tracker01:8998/announce") =>
        _work.WriteFile(relative, ReleaseTorrents.Bytes(seed, announce: announce));

    [Fact]
    public void Register_CopiesIntoTheDirectory_ReplacesAnEarlierReleaseOnlyWithForce_AndNamesIt()
    {
        string earlier = WriteTorrent("a/Deploy20260101.tgz.torrent", seed: 1);
        string current = WriteTorrent("b/Deploy20260101.tgz.torrent", seed: 2);
        string directory = _work.Combine("torrents");

        TorrentRegistration first = TorrentRegistrar.Register(earlier, directory, force: false);
        Assert.Equal(Path.Combine(directory, "Deploy20260101.tgz.torrent"), first.TorrentPath);
        Assert.Null(first.ReplacedInfoHash);
        Assert.Null(TorrentRegistrar.Register(earlier, directory, force: false).ReplacedInfoHash); // identical: left as it is

        Assert.Equal("TorrentExists", Assert.Throws<MurderException>(() => TorrentRegistrar.Register(current, directory, force: false)).ErrorId);
        TorrentRegistration replaced = TorrentRegistrar.Register(current, directory, force: true);

        Assert.Equal(first.InfoHash, replaced.ReplacedInfoHash);
        Assert.NotEqual(first.InfoHash, replaced.InfoHash);
        Assert.Equal(File.ReadAllBytes(current), File.ReadAllBytes(replaced.TorrentPath));
        Assert.Single(Directory.GetFiles(directory)); // no temporary file left
    }

    [Fact]
    public void Register_RefusesWhatIsNotATorrent()
    {
        Assert.Equal("TorrentNotFound", Assert.Throws<MurderException>(() => TorrentRegistrar.Register(_work.Combine("none.torrent"), _work.Combine("t"), false)).ErrorId);
        Assert.Equal("InvalidTorrent", Assert.Throws<MurderException>(() => TorrentRegistrar.Register(_work.WriteFile("junk.torrent", "junk"), _work.Combine("t"), false)).ErrorId);
    }

    [Fact]
    public void RegisterWithLocalTracker_IsNull_WhenNoTrackerRunsOnTheAnnouncePort()
    {
        string torrent = WriteTorrent("Deploy20260101.tgz.torrent", seed: 1);
        var store = new BackgroundProcessStore(_work.Combine("state"));

        Assert.Null(TorrentRegistrar.RegisterWithLocalTracker(store, torrent, MetaInfoReader.Load(torrent), force: true, CancellationToken.None));
        Assert.Equal(8998, TorrentRegistrar.AnnouncePort(MetaInfoReader.Load(torrent)));
        Assert.Null(TorrentRegistrar.AnnouncePort(MetaInfoReader.Load(WriteTorrent("udp.torrent", seed: 1, announce: "udp://tracker01:8998"))));
    }

    [Theory]
    [InlineData("unregistered torrent", true)]
    [InlineData(TrackerRefusal.Unregistered, true)]
    [InlineData("this swarm needs a swarm key: use the .torrent made for it (New-MurderTorrent -SwarmSecret)", false)]
    public void IsUnregistered_RecognisesTheRefusal_FromOldAndNewTrackers(string reason, bool unregistered)
    {
        var error = new MurderException("TrackerFailure", MurderErrorCategory.InvalidOperation, $"The tracker http://t:8998/announce refused the request: {reason}.");
        Assert.Equal(unregistered, TrackerRefusal.IsUnregistered(error));
        Assert.False(TrackerRefusal.IsUnregistered(new MurderException("TrackerUnreachable", MurderErrorCategory.ConnectionError, "unregistered torrent")));
    }

    [Fact]
    public void HowToRegister_GivesCommandsThatPasteAsTheyAre()
    {
        string advice = TrackerRefusal.HowToRegister("/tmp/it's.tgz.torrent", 8998, "tracker01");
        Assert.Contains("Register-MurderTorrent -Path '/tmp/it''s.tgz.torrent' -Port 8998", advice, StringComparison.Ordinal);
        Assert.Contains("Register-MurderTorrent -ComputerName tracker01 -Path '/tmp/it''s.tgz.torrent' -Port 8998", advice, StringComparison.Ordinal);
        Assert.Contains(@"-Path 'C:\Temp\web.tgz.torrent'", TrackerRefusal.HowToRegister(@"C:\Temp\web.tgz.torrent", 8998, null), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnounceProbe_AsksWithAnAnnounceThatListsNobody_AndTurnsTheRefusalIntoTorrentNotRegistered()
    {
        TorrentMetaInfo torrent = MetaInfoReader.Load(WriteTorrent("Deploy20260101.tgz.torrent", seed: 1));
        var tracker = new FakeTrackerClient();

        Assert.Null(await AnnounceProbe.CheckAsync(tracker, torrent, "/tmp/Deploy20260101.tgz.torrent", CancellationToken.None));
        Assert.Equal(TrackerEvent.Stopped, tracker.Announces[0].Event);
        Assert.Equal(torrent.TotalLength, tracker.Announces[0].Left);

        tracker.OnAnnounce = _ => throw new MurderException("TrackerFailure", MurderErrorCategory.InvalidOperation, $"The tracker http://tracker01:8998/announce refused the request: {TrackerRefusal.Unregistered}.");
        MurderException refused = await Assert.ThrowsAsync<MurderException>(() => AnnounceProbe.CheckAsync(tracker, torrent, "/tmp/Deploy20260101.tgz.torrent", CancellationToken.None));
        Assert.Equal("TorrentNotRegistered", refused.ErrorId);
        Assert.Contains("Register-MurderTorrent -ComputerName tracker01 -Path '/tmp/Deploy20260101.tgz.torrent' -Port 8998", refused.Message, StringComparison.Ordinal);

        tracker.OnAnnounce = _ => throw new MurderException("TrackerFailure", MurderErrorCategory.InvalidOperation, "The tracker http://tracker01:8998/announce refused the request: this swarm needs a swarm key.");
        Assert.Equal("TrackerFailure", (await Assert.ThrowsAsync<MurderException>(() => AnnounceProbe.CheckAsync(tracker, torrent, "t", CancellationToken.None))).ErrorId);

        tracker.OnAnnounce = _ => throw new MurderException("TrackerUnreachable", MurderErrorCategory.ConnectionError, "down");
        Assert.Equal("TrackerUnreachable", (await AnnounceProbe.CheckAsync(tracker, torrent, "t", CancellationToken.None))?.ErrorId);
    }
}
