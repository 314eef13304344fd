using System;
using System.Buffers;
using System.Linq;
using System.Net;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Engine;
using Murder.Core.Swarm.Sessions;
using Murder.Core.Tests.Tracker;
using Xunit;

namespace Murder.Core.Tests.Swarm.Engine;

/// <summary>
/// The engine on its own: a manual clock, links that record what it sends, and the in-memory
/// transport. No sockets, no threads, no sleeps.
/// </summary>
public class SwarmEngineTests
{
    private const int Block = PeerWireLimits.BlockLength;

    [Fact]
    public void A_seeder_and_peers_complete_in_memory_with_identical_data_and_trade_among_themselves()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make((40 * 32 * 1024) + 777, 32 * 1024, seed: 21);
        var swarm = new InMemorySwarm(torrent);
        InMemorySwarm.Node seeder = swarm.Add(data, seed: 1);
        InMemorySwarm.Node[] peers = Enumerable.Range(2, 4).Select(seed => swarm.Add(null, seed)).ToArray();
        // Only the first peer knows the seeder; the others must get every piece by relay.
        peers[0].Engine.AddPeers(new[] { seeder.EndPoint });
        foreach (InMemorySwarm.Node peer in peers)
        {
            peer.Engine.AddPeers(peers.Select(other => other.EndPoint));
        }

        Assert.True(swarm.RunUntil(() => peers.All(peer => peer.Completed)), "the swarm did not complete");
        Assert.All(peers, peer => Assert.True(peer.Store.Data.Span.SequenceEqual(data)));
        Assert.All(peers.Skip(1), peer => Assert.True(peer.Engine.GetStatistics().BytesFromPeers > 0, "a peer without the seeder got nothing from peers"));
        Assert.All(peers, peer => Assert.Equal(0, peer.Engine.GetStatistics().HashFailures));
    }

    [Fact]
    public void Endgame_asks_a_second_peer_for_blocks_in_flight_and_cancels_the_duplicate_when_one_arrives()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 22);
        var actions = new RecordingActions();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), actions, new ManualTime(), new SwarmSettings { MinOutstandingRequests = 16, MaxOutstandingRequests = 16 });
        var first = new RecordingLink();
        PeerSession a = ConnectSeed(engine, torrent, first, 'a');
        engine.Handle(a, Message(PeerMessageKind.Unchoke));
        Assert.Equal(4, first.Sent.Count(message => message.Kind == PeerMessageKind.Request));

        var second = new RecordingLink();
        PeerSession b = ConnectSeed(engine, torrent, second, 'b');
        engine.Handle(b, Message(PeerMessageKind.Unchoke));
        // Every block is asked of the first peer already: the second gets the endgame duplicates.
        OutgoingMessage[] duplicates = second.Sent.Where(message => message.Kind == PeerMessageKind.Request).ToArray();
        Assert.NotEmpty(duplicates);

        OutgoingMessage asked = duplicates[0];
        engine.Handle(a, BlockMessage(data, torrent, asked.Index, asked.Begin));
        Assert.Contains(second.Sent, message => message.Kind == PeerMessageKind.Cancel && message.Index == asked.Index && message.Begin == asked.Begin);
        Assert.DoesNotContain(first.Sent, message => message.Kind == PeerMessageKind.Cancel);
    }

    [Fact]
    public void Endgame_duplicates_wait_until_the_connection_holding_the_blocks_has_gone_quiet()
    {
        (TorrentMetaInfo torrent, byte[] data, ManualTime time, SwarmEngine engine, RecordingLink fast, RecordingLink stuck, PeerSession a, _) = TwoUnchokedSeeds(26, 'a', 'b');
        (int, int)[] askedOfB = stuck.Sent.Where(message => message.Kind == PeerMessageKind.Request).Select(message => (message.Index, message.Begin)).OrderBy(x => x).ToArray();
        Assert.Equal(4, askedOfB.Length);

        // The first peer delivers everything else, a block every 2.5 ms (6.5 MB/s); the second
        // sends nothing. When the first runs out (endgame), the second owes 64 KiB, 10 ms at that
        // rate, and has been quiet for 30 ms: not stuck yet, and a duplicate would queue behind it.
        int delivered = 0;
        while (a.Outstanding.Count > 0)
        {
            BlockRequest next = a.Outstanding[0];
            Assert.DoesNotContain((next.Piece, next.Begin), askedOfB);
            time.Advance(TimeSpan.FromMilliseconds(2.5));
            engine.Handle(a, BlockMessage(data, torrent, next.Piece, next.Begin));
            if (++delivered == 4)
            {
                engine.Tick(); // samples the rate
            }
        }

        Assert.Equal(12, delivered);
        Assert.Equal(12, fast.Sent.Count(message => message.Kind == PeerMessageKind.Request));

        // A second later it has still sent nothing: its blocks are asked of the first peer.
        time.Advance(TimeSpan.FromSeconds(1));
        engine.Tick();
        (int, int)[] duplicates = fast.Sent.Where(message => message.Kind == PeerMessageKind.Request).Skip(12).Select(message => (message.Index, message.Begin)).OrderBy(x => x).ToArray();
        Assert.Equal(askedOfB, duplicates);
    }

    [Fact]
    public void Endgame_duplicates_the_blocks_of_a_connection_far_slower_than_the_best_without_waiting_for_it_to_go_quiet()
    {
        (TorrentMetaInfo torrent, byte[] data, ManualTime time, SwarmEngine engine, _, _, PeerSession fast, PeerSession slow) = TwoUnchokedSeeds(27, 'f', 's');

        // In 10 ms the fast peer delivers 8 blocks (13 MB/s) and the slow one 1 (1.6 MB/s, an
        // eighth): the tick samples both rates.
        for (int i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1.25));
            BlockRequest next = fast.Outstanding[0];
            engine.Handle(fast, BlockMessage(data, torrent, next.Piece, next.Begin));
        }

        BlockRequest first = slow.Outstanding[0];
        engine.Handle(slow, BlockMessage(data, torrent, first.Piece, first.Begin));
        engine.Tick();
        TimeSpan slowDelivered = engine.Now;

        // The fast peer delivers everything not asked of the slow one, a block a millisecond. When it
        // runs out, the slow one has been quiet for a few ms only, but its blocks are asked of the
        // fast one at once, not after it has delivered them at an eighth of the rate.
        while (fast.Outstanding.Any(request => !slow.Outstanding.Contains(request)))
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            BlockRequest next = fast.Outstanding.First(request => !slow.Outstanding.Contains(request));
            engine.Handle(fast, BlockMessage(data, torrent, next.Piece, next.Begin));
        }

        Assert.True(engine.Now - slowDelivered < TimeSpan.FromMilliseconds(10), "the fast peer took too long for this test to show anything");
        Assert.NotEmpty(slow.Outstanding);
        Assert.All(slow.Outstanding, request => Assert.Contains(request, fast.Outstanding));
    }

    [Fact]
    public void A_silent_peer_is_dropped_after_the_idle_timeout_and_a_quiet_one_gets_keep_alives()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 23);
        var time = new ManualTime();
        var settings = new SwarmSettings { IdleTimeout = TimeSpan.FromSeconds(120), KeepAliveInterval = TimeSpan.FromSeconds(60) };
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), new RecordingActions(), time, settings);
        var link = new RecordingLink();
        PeerSession session = ConnectSeed(engine, torrent, link, 's');

        time.Advance(TimeSpan.FromSeconds(61));
        engine.Tick();
        Assert.Contains(link.Sent, message => message.Kind == PeerMessageKind.KeepAlive);
        Assert.False(link.Closed);

        engine.Handle(session, Message(PeerMessageKind.KeepAlive)); // heard from at 61 s
        time.Advance(TimeSpan.FromSeconds(100));
        engine.Tick();
        Assert.False(link.Closed, "dropped although it spoke 100 s ago");

        time.Advance(TimeSpan.FromSeconds(21));
        engine.Tick();
        Assert.True(link.Closed, "a peer silent for 121 s was kept");
        engine.Disconnected(session, null);
        Assert.Empty(engine.Sessions);
    }

    [Fact]
    public void A_peer_that_alone_sent_a_bad_piece_is_banned_and_refused_when_it_comes_back()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 24);
        var actions = new RecordingActions();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), actions, new ManualTime(), new SwarmSettings());
        var link = new RecordingLink();
        PeerSession liar = ConnectSeed(engine, torrent, link, 'l');
        engine.Handle(liar, Message(PeerMessageKind.Unchoke));
        OutgoingMessage[] requests = link.Sent.Where(message => message.Kind == PeerMessageKind.Request).ToArray();
        foreach (OutgoingMessage request in requests.Where(request => request.Index == requests[0].Index))
        {
            engine.Handle(liar, BlockMessage(data, torrent, request.Index, request.Begin));
        }

        PieceProgress piece = Assert.Single(actions.Checks);
        engine.PieceChecked(piece, valid: false); // as if its hash did not match

        Assert.True(link.Closed, "the liar was not dropped");
        Assert.Equal(1, engine.GetStatistics().PeersBanned);
        Assert.Equal(1, engine.GetStatistics().HashFailures);
        engine.Disconnected(liar, null);
        Assert.Null(engine.Connected(new RecordingLink(), new IPEndPoint(IPAddress.Loopback, 40_001), Id('l'), null));
    }

    [Fact]
    public void Peers_are_dialled_at_once_and_a_failed_dial_waits_for_its_backoff()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 25);
        var actions = new RecordingActions();
        var time = new ManualTime();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), actions, time, new SwarmSettings());
        var peer = new IPEndPoint(IPAddress.Parse("198.18.0.9"), 6881);
        engine.AddPeers(new[] { peer, new IPEndPoint(IPAddress.Parse("198.18.0.10"), 0) });
        Assert.Equal(new[] { peer }, actions.Dials);

        engine.DialFailed(peer);
        engine.Tick();
        Assert.Single(actions.Dials);
        time.Advance(TimeSpan.FromMilliseconds(1100));
        engine.Tick();
        Assert.Equal(2, actions.Dials.Count);
    }

    [Fact]
    public void A_choke_gives_the_requests_back_to_the_picker_for_another_peer()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 26);
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), new RecordingActions(), new ManualTime(), new SwarmSettings());
        var first = new RecordingLink();
        PeerSession a = ConnectSeed(engine, torrent, first, 'a');
        var second = new RecordingLink();
        PeerSession b = ConnectSeed(engine, torrent, second, 'b');
        engine.Handle(a, Message(PeerMessageKind.Unchoke));
        int asked = first.Sent.Count(message => message.Kind == PeerMessageKind.Request);
        Assert.Equal(4, asked);

        engine.Handle(b, Message(PeerMessageKind.Unchoke));
        engine.Handle(a, Message(PeerMessageKind.Choke));
        // Not endgame duplicates: after the choke the blocks are nobody's, and b asks for all of them.
        Assert.Equal(4, second.Sent.Count(message => message.Kind == PeerMessageKind.Request));
        Assert.Empty(a.Outstanding);
    }

    [Fact]
    public void An_origin_chokes_once_a_peer_that_asks_a_piece_it_sent_in_full_and_unchokes_it_at_the_next_tick()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 27);
        var all = new Bitfield(torrent.PieceCount);
        all.SetAll();
        var time = new ManualTime();
        SwarmEngine origin = NewEngine(torrent, all, new RecordingActions(), time, new SwarmSettings { SuperSeed = false });
        var first = new RecordingLink();
        PeerSession a = origin.Connected(first, new IPEndPoint(IPAddress.Parse("198.18.0.2"), 40_001), Id('a'), null)!;
        var second = new RecordingLink();
        PeerSession b = origin.Connected(second, new IPEndPoint(IPAddress.Parse("198.18.0.3"), 40_002), Id('b'), null)!;
        origin.Handle(a, Message(PeerMessageKind.Interested));
        origin.Handle(b, Message(PeerMessageKind.Interested));
        foreach (int begin in new[] { 0, Block })
        {
            origin.Handle(a, Request(0, begin));
            Assert.True(origin.TakeUpload(a, new BlockRequest(0, begin, Block)));
        }

        // Piece 0 went out in full: b asking for it is choked (its requests go to the peers that hold it).
        origin.Handle(b, Request(0, 0));
        Assert.Equal(PeerMessageKind.Choke, second.Sent[^1].Kind);
        Assert.DoesNotContain(second.Sent, message => message.Kind == PeerMessageKind.Piece);
        Assert.True(b.AmChoking);

        time.Advance(TimeSpan.FromMilliseconds(250));
        origin.Tick();
        Assert.Equal(PeerMessageKind.Unchoke, second.Sent[^1].Kind);

        // Only once: asked again, it serves (b may have no one else).
        origin.Handle(b, Request(0, 0));
        Assert.Equal(PeerMessageKind.Piece, second.Sent[^1].Kind);
        // A piece not sent yet is served at once to anyone.
        origin.Handle(a, Request(1, 0));
        Assert.Equal(PeerMessageKind.Piece, first.Sent[^1].Kind);
    }

    [Fact]
    public void A_seed_that_choked_us_is_asked_only_for_pieces_no_one_else_holds_and_a_finished_peer_for_any()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 28);
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), new RecordingActions(), new ManualTime(), new SwarmSettings());
        var downloaderLink = new RecordingLink();
        PeerSession downloader = engine.Connected(downloaderLink, new IPEndPoint(IPAddress.Parse("198.18.0.4"), 40_004), Id('d'), null)!;
        var holds = new Bitfield(torrent.PieceCount);
        holds.Set(0);
        holds.Set(1);
        engine.Handle(downloader, new OutgoingMessage(PeerMessageKind.Bitfield, Payload: holds.ToBytes()).Received(ReadOnlySequence<byte>.Empty));

        var originLink = new RecordingLink();
        PeerSession origin = ConnectSeed(engine, torrent, originLink, 'o');
        engine.Handle(origin, Message(PeerMessageKind.Choke)); // it declined us once
        var finishedLink = new RecordingLink();
        PeerSession finished = ConnectSeed(engine, torrent, finishedLink, 'f');
        engine.Handle(origin, Message(PeerMessageKind.Unchoke));
        Assert.All(originLink.Sent.Where(message => message.Kind == PeerMessageKind.Request), request => Assert.True(request.Index >= 2, $"the origin was asked for piece {request.Index}, which a downloader holds"));

        engine.Handle(finished, Message(PeerMessageKind.Unchoke));
        Assert.Contains(finishedLink.Sent, message => message.Kind == PeerMessageKind.Request && message.Index < 2);
    }

    [Fact]
    public void An_idle_connection_asks_at_once_when_its_peer_announces_a_piece()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 29);
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), new RecordingActions(), new ManualTime(), new SwarmSettings { MinOutstandingRequests = 2, MaxOutstandingRequests = 2 });
        var link = new RecordingLink();
        PeerSession peer = engine.Connected(link, new IPEndPoint(IPAddress.Parse("198.18.0.5"), 40_005), Id('p'), null)!;
        var holds = new Bitfield(torrent.PieceCount);
        holds.Set(0);
        engine.Handle(peer, new OutgoingMessage(PeerMessageKind.Bitfield, Payload: holds.ToBytes()).Received(ReadOnlySequence<byte>.Empty));
        engine.Handle(peer, Message(PeerMessageKind.Unchoke));
        engine.Handle(peer, BlockMessage(data, torrent, 0, 0));
        engine.Handle(peer, BlockMessage(data, torrent, 0, Block));
        Assert.Empty(peer.Outstanding);

        engine.Handle(peer, new OutgoingMessage(PeerMessageKind.Have, 1).Received(ReadOnlySequence<byte>.Empty));
        Assert.Equal(2, link.Sent.Count(message => message.Kind == PeerMessageKind.Request && message.Index == 1));
    }

    [Fact]
    public void A_free_dial_slot_dials_the_next_address_without_waiting_for_a_tick()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 30);
        var actions = new RecordingActions();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), actions, new ManualTime(), new SwarmSettings());
        IPEndPoint[] peers = Enumerable.Range(1, 20).Select(index => new IPEndPoint(IPAddress.Parse($"198.18.1.{index}"), 6881)).ToArray();
        engine.AddPeers(peers);
        Assert.Equal(16, actions.Dials.Count);

        Assert.NotNull(engine.Connected(new RecordingLink(), peers[0], Id('x'), peers[0]));
        Assert.Equal(17, actions.Dials.Count);
        engine.DialFailed(peers[1]);
        Assert.Equal(18, actions.Dials.Count);
    }

    [Fact]
    public void A_peer_dials_at_most_its_outgoing_share_and_keeps_the_other_slots_for_peers_that_dial_it()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 33);
        var actions = new RecordingActions();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), actions, new ManualTime(), new SwarmSettings { MaxConnections = 6, MaxOutgoingConnections = 3 });
        IPEndPoint[] peers = Enumerable.Range(1, 10).Select(index => new IPEndPoint(IPAddress.Parse($"198.18.1.{index}"), 6881)).ToArray();
        engine.AddPeers(peers);
        Assert.Equal(peers.Take(3), actions.Dials);
        foreach (IPEndPoint peer in peers.Take(3))
        {
            Assert.NotNull(engine.Connected(new RecordingLink(), peer, Id((char)('p' + peer.Address.GetAddressBytes()[3])), peer));
        }

        Assert.Equal(3, actions.Dials.Count); // three dialled and connected: no more dials
        for (int index = 0; index < 3; index++)
        {
            Assert.NotNull(engine.Connected(new RecordingLink(), new IPEndPoint(IPAddress.Parse($"198.18.2.{index + 1}"), 40_000), Id((char)('a' + index)), null));
        }

        Assert.Null(engine.Connected(new RecordingLink(), new IPEndPoint(IPAddress.Parse("198.18.2.9"), 40_000), Id('z'), null)); // every slot taken
        Assert.Equal(6, engine.Sessions.Count);
    }

    [Fact]
    public void A_downloader_with_every_slot_taken_by_useless_connections_drops_some_to_dial_others()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 31);
        var time = new ManualTime();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), new RecordingActions(), time, new SwarmSettings { MaxConnections = 2 });
        var first = new RecordingLink();
        var second = new RecordingLink();
        Assert.NotNull(engine.Connected(first, new IPEndPoint(IPAddress.Parse("198.18.0.6"), 40_006), Id('e'), null));
        Assert.NotNull(engine.Connected(second, new IPEndPoint(IPAddress.Parse("198.18.0.7"), 40_007), Id('g'), null));

        time.Advance(TimeSpan.FromMilliseconds(500));
        engine.Tick();
        Assert.False(first.Closed || second.Closed, "a connection younger than a second was dropped");

        // Peers with nothing, neither side interested: at the limit, one goes to make room.
        time.Advance(TimeSpan.FromMilliseconds(600));
        engine.Tick();
        Assert.True(first.Closed || second.Closed, "every slot stayed taken by peers with nothing for us");
    }

    [Fact]
    public void An_address_we_dialled_and_then_refused_for_want_of_a_slot_is_dialled_again_later()
    {
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * Block, 2 * Block, seed: 32);
        var actions = new RecordingActions();
        var time = new ManualTime();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), actions, time, new SwarmSettings { MaxConnections = 1 });
        var peer = new IPEndPoint(IPAddress.Parse("198.18.0.8"), 6881);
        engine.AddPeers(new[] { peer });
        Assert.Equal(new[] { peer }, actions.Dials);

        // While the dial is in flight, a peer dials us and takes the only slot; our dial's
        // handshake then completes and we refuse it.
        var incoming = new RecordingLink();
        PeerSession other = engine.Connected(incoming, new IPEndPoint(IPAddress.Parse("198.18.0.9"), 40_009), Id('i'), null)!;
        Assert.NotNull(other);
        Assert.Null(engine.Connected(new RecordingLink(), peer, Id('d'), peer));

        // The slot frees up: after the backoff the address is dialled again.
        engine.Disconnected(other, null);
        time.Advance(TimeSpan.FromSeconds(2));
        engine.Tick();
        Assert.Equal(2, actions.Dials.Count(dial => dial.Equals(peer)));
    }

    [Fact]
    public void Request_queues_hold_the_same_bytes_whatever_the_block_size()
    {
        // 4 pieces of 1 MiB; the simulator's 256 KiB blocks. Before a rate is known a connection
        // keeps MinOutstandingRequests (16) wire requests of 16 KiB in flight: 256 KiB, one such block.
        (TorrentMetaInfo torrent, _) = SwarmTestData.Make(4 * 1024 * 1024, 1024 * 1024, seed: 33);
        var settings = new SwarmSettings { MinOutstandingRequests = 16 }.Validate();
        var large = new SwarmEngine(torrent, new Bitfield(torrent.PieceCount), settings, Id('m'), new RecordingActions(), new ManualTime(), new Random(5), announces: false, blockLength: 16 * Block, assembleData: false);
        var link = new RecordingLink();
        PeerSession seed = ConnectSeed(large, torrent, link, 's');
        large.Handle(seed, Message(PeerMessageKind.Unchoke));
        OutgoingMessage request = Assert.Single(link.Sent, message => message.Kind == PeerMessageKind.Request);
        Assert.Equal(16 * Block, request.Length);

        SwarmEngine wire = NewEngine(torrent, new Bitfield(torrent.PieceCount), new RecordingActions(), new ManualTime(), settings);
        var wireLink = new RecordingLink();
        PeerSession wireSeed = ConnectSeed(wire, torrent, wireLink, 's');
        wire.Handle(wireSeed, Message(PeerMessageKind.Unchoke));
        Assert.Equal(16, wireLink.Sent.Count(message => message.Kind == PeerMessageKind.Request));
    }

    private static SwarmEngine NewEngine(TorrentMetaInfo torrent, Bitfield have, RecordingActions actions, ManualTime time, SwarmSettings settings) =>
        new(torrent, have, settings.Validate(), Id('m'), actions, time, new Random(5), announces: false);

    /// <summary>A 16-block torrent, 4 requests per connection, and two seeds connected and unchoked: each is asked for 4 blocks.</summary>
    private static (TorrentMetaInfo Torrent, byte[] Data, ManualTime Time, SwarmEngine Engine, RecordingLink FirstLink, RecordingLink SecondLink, PeerSession First, PeerSession Second) TwoUnchokedSeeds(int seed, char first, char second)
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(16 * Block, 2 * Block, seed);
        var time = new ManualTime();
        SwarmEngine engine = NewEngine(torrent, new Bitfield(torrent.PieceCount), new RecordingActions(), time, new SwarmSettings { MinOutstandingRequests = 4, MaxOutstandingRequests = 4 });
        var firstLink = new RecordingLink();
        var secondLink = new RecordingLink();
        PeerSession a = ConnectSeed(engine, torrent, firstLink, first);
        PeerSession b = ConnectSeed(engine, torrent, secondLink, second);
        engine.Handle(a, Message(PeerMessageKind.Unchoke));
        engine.Handle(b, Message(PeerMessageKind.Unchoke));
        return (torrent, data, time, engine, firstLink, secondLink, a, b);
    }

    private static byte[] Id(char letter) => Enumerable.Repeat((byte)letter, 20).ToArray();

    private static PeerSession ConnectSeed(SwarmEngine engine, TorrentMetaInfo torrent, RecordingLink link, char id)
    {
        PeerSession session = engine.Connected(link, new IPEndPoint(IPAddress.Parse("198.18.0.2"), 40_000 + id), Id(id), null)!;
        Assert.NotNull(session);
        var all = new Bitfield(torrent.PieceCount);
        all.SetAll();
        engine.Handle(session, new OutgoingMessage(PeerMessageKind.Bitfield, Payload: all.ToBytes()).Received(ReadOnlySequence<byte>.Empty));
        Assert.True(session.AmInterested);
        return session;
    }

    private static PeerMessage Request(int piece, int begin) => new OutgoingMessage(PeerMessageKind.Request, piece, begin, Block).Received(ReadOnlySequence<byte>.Empty);

    private static PeerMessage Message(PeerMessageKind kind) => new OutgoingMessage(kind).Received(ReadOnlySequence<byte>.Empty);

    private static PeerMessage BlockMessage(byte[] data, TorrentMetaInfo torrent, int piece, int begin) =>
        new OutgoingMessage(PeerMessageKind.Piece, piece, begin, Block).Received(new ReadOnlySequence<byte>(data, (piece * torrent.PieceLength) + begin, Block));
}
