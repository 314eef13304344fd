using System;
using System.Linq;
using System.Net;
using Murder.Core.PeerWire;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Choking;
using Murder.Core.Swarm.Sessions;
using Xunit;

namespace Murder.Core.Tests.Swarm.Engine;

public class ChokerTests
{
    [Fact]
    public void Tit_for_tat_unchokes_the_best_uploaders_and_one_other_every_interval()
    {
        var choker = new Choker(new SwarmSettings { UnchokeAll = false, UploadSlots = 2 }, new Random(3));
        (PeerSession Session, RecordingLink Link)[] peers = Enumerable.Range(0, 5).Select(index => NewPeer(index)).ToArray();
        for (int index = 0; index < peers.Length; index++)
        {
            choker.Interested(peers[index].Session, TimeSpan.Zero);
            peers[index].Session.RecentDownload = index * 1000; // peers 4 and 3 gave us the most
        }

        Assert.All(peers, peer => Assert.True(peer.Session.AmChoking, "unchoked on interest with tit-for-tat on"));
        choker.Tick(peers.Select(peer => peer.Session).ToList(), Choker.Interval);
        PeerSession[] unchoked = peers.Select(peer => peer.Session).Where(session => !session.AmChoking).ToArray();
        Assert.Equal(3, unchoked.Length); // two slots and the optimistic one
        Assert.Contains(peers[4].Session, unchoked);
        Assert.Contains(peers[3].Session, unchoked);
        Assert.All(peers.Where(peer => !peer.Session.AmChoking), peer => Assert.Contains(peer.Link.Sent, message => message.Kind == PeerMessageKind.Unchoke));
        Assert.All(peers, peer => Assert.Equal(0, peer.Session.RecentDownload));

        // Before the interval is up again nothing changes.
        peers[0].Session.RecentDownload = 1_000_000;
        choker.Tick(peers.Select(peer => peer.Session).ToList(), Choker.Interval + TimeSpan.FromSeconds(5));
        Assert.Equal(unchoked, peers.Select(peer => peer.Session).Where(session => !session.AmChoking));
        choker.Tick(peers.Select(peer => peer.Session).ToList(), Choker.Interval * 2);
        Assert.False(peers[0].Session.AmChoking, "the best uploader of the last interval is still choked");
    }

    [Fact]
    public void In_a_trusted_swarm_an_interested_peer_is_unchoked_at_once()
    {
        var choker = new Choker(new SwarmSettings { UnchokeAll = true }, new Random(3));
        (PeerSession session, RecordingLink link) = NewPeer(0);
        choker.Interested(session, TimeSpan.Zero);
        Assert.False(session.AmChoking);
        Assert.Equal(PeerMessageKind.Unchoke, Assert.Single(link.Sent).Kind);
    }

    private static (PeerSession, RecordingLink) NewPeer(int index)
    {
        var link = new RecordingLink();
        byte[] id = Enumerable.Repeat((byte)('a' + index), 20).ToArray();
        return (new PeerSession(link, new IPEndPoint(IPAddress.Loopback, 40_000 + index), id, false, 8, 64, TimeSpan.Zero), link);
    }
}
