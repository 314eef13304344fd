using System;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Deployment;
using Murder.Core.MetaInfo;
using Murder.Core.Swarm;
using Murder.Core.Tests.Fleet;
using Murder.Core.Tests.Tracker;
using Murder.Core.Tracker;
using Xunit;

namespace Murder.Core.Tests.Deployment;

public class RefusalWatchingTrackerTests
{
    private static readonly TorrentMetaInfo Torrent = ReleaseTorrentCheckTests.Release(seed: 1);
    private static readonly SwarmAnnounce Announce = new(Torrent.InfoHash, new byte[20], 6881, 0, 0, 40_000, SwarmAnnounceEvent.Started, 50);

    private static MurderException Refusal(string reason) =>
        new("TrackerFailure", MurderErrorCategory.InvalidOperation, $"The tracker http://tracker01:8998/announce refused the request: {reason}.");

    [Fact]
    public async Task AnUnregisteredRefusalThatLastsPastThePatience_BecomesTorrentNotRegistered()
    {
        var time = new ManualTime();
        var inner = new ScriptedTracker();
        var watched = new RefusalWatchingTracker(inner, Torrent, "/tmp/Deploy20260101.tgz.torrent", time);

        inner.Next.Enqueue(Refusal(TrackerRefusal.Unregistered));
        await Assert.ThrowsAsync<MurderException>(() => watched.AnnounceAsync(Announce, CancellationToken.None));
        time.Advance(RefusalWatchingTracker.Patience - TimeSpan.FromSeconds(1));
        inner.Next.Enqueue(Refusal(TrackerRefusal.Unregistered));
        await Assert.ThrowsAsync<MurderException>(() => watched.AnnounceAsync(Announce, CancellationToken.None));
        Assert.Null(watched.Refused);

        time.Advance(TimeSpan.FromSeconds(1));
        inner.Next.Enqueue(Refusal("unregistered torrent")); // an older tracker's bare reason counts the same
        await Assert.ThrowsAsync<MurderException>(() => watched.AnnounceAsync(Announce, CancellationToken.None));

        MurderException? refused = watched.Refused;
        Assert.NotNull(refused);
        Assert.Equal("TorrentNotRegistered", refused.ErrorId);
        Assert.Contains(Torrent.InfoHash.ToHex(), refused.Message, StringComparison.Ordinal);
        Assert.Contains("Register-MurderTorrent -Path '/tmp/Deploy20260101.tgz.torrent' -Port 8998", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAcceptedAnnounce_StartsTheCountAgain_AndOtherFailuresDoNotCount()
    {
        var time = new ManualTime();
        var inner = new ScriptedTracker();
        var watched = new RefusalWatchingTracker(inner, Torrent, "/tmp/t.torrent", time);

        inner.Next.Enqueue(Refusal(TrackerRefusal.Unregistered));
        await Assert.ThrowsAsync<MurderException>(() => watched.AnnounceAsync(Announce, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(4));
        await watched.AnnounceAsync(Announce, CancellationToken.None); // registered meanwhile
        time.Advance(TimeSpan.FromSeconds(4));
        inner.Next.Enqueue(Refusal(TrackerRefusal.Unregistered));
        await Assert.ThrowsAsync<MurderException>(() => watched.AnnounceAsync(Announce, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(30));
        inner.Next.Enqueue(new MurderException("TrackerUnreachable", MurderErrorCategory.ConnectionError, "down"));
        await Assert.ThrowsAsync<MurderException>(() => watched.AnnounceAsync(Announce, CancellationToken.None));
        inner.Next.Enqueue(Refusal("the tracker has reached its peer limit"));
        await Assert.ThrowsAsync<MurderException>(() => watched.AnnounceAsync(Announce, CancellationToken.None));

        Assert.Null(watched.Refused);
    }

    private sealed class ScriptedTracker : ISwarmTracker
    {
        public Queue<Exception> Next { get; } = new();

        public Task<SwarmAnnounceResponse> AnnounceAsync(SwarmAnnounce announce, CancellationToken cancellation) =>
            Next.TryDequeue(out Exception? error)
                ? Task.FromException<SwarmAnnounceResponse>(error)
                : Task.FromResult(new SwarmAnnounceResponse(TimeSpan.FromSeconds(15), Array.Empty<IPEndPoint>()));
    }
}
