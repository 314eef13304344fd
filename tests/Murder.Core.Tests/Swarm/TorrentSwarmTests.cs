using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;
using Xunit;

namespace Murder.Core.Tests.Swarm;

public class TorrentSwarmTests
{
    private static readonly SwarmSettings Loopback = new() { ListenAddress = IPAddress.Loopback };

    private static Bitfield Full(TorrentMetaInfo torrent)
    {
        var have = new Bitfield(torrent.PieceCount);
        have.SetAll();
        return have;
    }

    private static async Task WithTimeout(Task task, int seconds = 60)
    {
        Task finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds)));
        Assert.True(finished == task, "the swarm did not finish in time");
        await task;
    }

    [Fact]
    public async Task Seeder_and_leechers_on_loopback_all_complete_with_identical_data()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(3 * 1024 * 1024 + 12345, 64 * 1024);
        await using TorrentSwarm seeder = TorrentSwarm.Start(torrent, new MemoryPieceStore(data), Full(torrent), Loopback, null);
        var stores = Enumerable.Range(0, 5).Select(_ => new MemoryPieceStore(torrent.TotalLength)).ToArray();
        var leechers = stores.Select(store => TorrentSwarm.Start(torrent, store, new Bitfield(torrent.PieceCount), Loopback, null)).ToArray();
        try
        {
            // Only the first leecher knows the seeder: the others must get every piece by relay.
            var peers = leechers.Select(l => l.LocalEndPoint).ToArray();
            leechers[0].AddPeers(new[] { seeder.LocalEndPoint });
            foreach (TorrentSwarm leecher in leechers)
            {
                leecher.AddPeers(peers);
            }

            await WithTimeout(Task.WhenAll(leechers.Select(l => l.Completion)));
            foreach (MemoryPieceStore store in stores)
            {
                Assert.True(store.Data.Span.SequenceEqual(data));
            }

            SwarmStatistics[] statistics = leechers.Select(l => l.GetStatistics()).ToArray();
            Assert.All(statistics, s => Assert.True(s.IsComplete));
            Assert.All(statistics, s => Assert.Equal(0, s.HashFailures));
            // Pieces travel between peers, not only from the seeder.
            Assert.All(statistics.Skip(1), s => Assert.True(s.BytesFromPeers > 0, "a leecher without the seeder got nothing from peers"));
            Assert.True(seeder.GetStatistics().Uploaded < 2L * data.Length, "the seeder uploaded more than two copies");
            Assert.All(statistics, s => Assert.True(s.FirstPieceAfter <= s.CompletedAfter));
        }
        finally
        {
            foreach (TorrentSwarm leecher in leechers)
            {
                await leecher.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Leecher_resumes_from_pieces_already_on_disk()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(1024 * 1024, 32 * 1024, seed: 2);
        var partial = new byte[data.Length];
        Array.Copy(data, partial, data.Length / 2); // the first half was downloaded before a restart
        var store = new MemoryPieceStore(partial);
        Bitfield have = await PieceChecker.CheckAsync(torrent, store, null, CancellationToken.None);
        Assert.Equal(torrent.PieceCount / 2, have.CountSet);

        await using TorrentSwarm seeder = TorrentSwarm.Start(torrent, new MemoryPieceStore(data), Full(torrent), Loopback, null);
        await using TorrentSwarm leecher = TorrentSwarm.Start(torrent, store, have, Loopback, null);
        leecher.AddPeers(new[] { seeder.LocalEndPoint });
        await WithTimeout(leecher.Completion);
        Assert.True(store.Data.Span.SequenceEqual(data));
        Assert.True(leecher.GetStatistics().Downloaded <= data.Length / 2 + (64 * 1024));
    }

    [Fact]
    public async Task Peer_serving_corrupt_pieces_is_banned_and_the_download_completes_from_others()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(2 * 1024 * 1024, 32 * 1024, seed: 3);
        byte[] corrupt = (byte[])data.Clone();
        for (int index = 0; index < corrupt.Length; index += 4096)
        {
            corrupt[index] ^= 0xff; // every piece is wrong
        }

        await using TorrentSwarm liar = TorrentSwarm.Start(torrent, new MemoryPieceStore(corrupt), Full(torrent), Loopback, null);
        await using TorrentSwarm honest = TorrentSwarm.Start(torrent, new MemoryPieceStore(data), Full(torrent), Loopback, null);
        var store = new MemoryPieceStore(torrent.TotalLength);
        await using TorrentSwarm leecher = TorrentSwarm.Start(torrent, store, new Bitfield(torrent.PieceCount), Loopback, null);
        leecher.AddPeers(new[] { liar.LocalEndPoint });
        // Let the liar serve alone first so it is caught, then add the honest seeder.
        for (int wait = 0; wait < 200 && leecher.GetStatistics().PeersBanned == 0; wait++)
        {
            await Task.Delay(50);
        }

        leecher.AddPeers(new[] { honest.LocalEndPoint });
        await WithTimeout(leecher.Completion);
        SwarmStatistics statistics = leecher.GetStatistics();
        Assert.Equal(1, statistics.PeersBanned);
        Assert.InRange(statistics.HashFailures, 1, 5);
        Assert.True(store.Data.Span.SequenceEqual(data), "corrupt data reached the store");
    }

    [Fact]
    public async Task Tracker_peers_are_used_and_completion_is_announced()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(512 * 1024, 16 * 1024, seed: 4);
        await using TorrentSwarm seeder = TorrentSwarm.Start(torrent, new MemoryPieceStore(data), Full(torrent), Loopback, null);
        var tracker = new ListTracker(seeder.LocalEndPoint);
        var store = new MemoryPieceStore(torrent.TotalLength);
        TorrentSwarm leecher = TorrentSwarm.Start(torrent, store, new Bitfield(torrent.PieceCount), Loopback, tracker);
        await WithTimeout(leecher.Completion);
        for (int wait = 0; wait < 100 && !tracker.Events.Contains(SwarmAnnounceEvent.Completed); wait++)
        {
            await Task.Delay(20);
        }

        await leecher.DisposeAsync();
        Assert.Equal(SwarmAnnounceEvent.Started, tracker.Events[0]);
        Assert.Contains(SwarmAnnounceEvent.Completed, tracker.Events);
        Assert.Equal(SwarmAnnounceEvent.Stopped, tracker.Events[^1]);
        Assert.Equal(0, tracker.LastLeft);
        Assert.True(store.Data.Span.SequenceEqual(data));
    }

    [Fact]
    public async Task Handshake_for_another_torrent_is_refused()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(64 * 1024, 16 * 1024, seed: 5);
        (TorrentMetaInfo other, _) = SwarmTestData.Make(64 * 1024, 16 * 1024, seed: 6);
        await using TorrentSwarm seeder = TorrentSwarm.Start(torrent, new MemoryPieceStore(data), Full(torrent), Loopback, null);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(seeder.LocalEndPoint);
        var stream = client.GetStream();
        await stream.WriteAsync(new PeerHandshake(other.InfoHash, new byte[20]).ToBytes());
        byte[] buffer = new byte[100];
        int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, read); // closed without a handshake of ours
    }

    [Theory]
    [InlineData(new byte[] { 0x7f, 0xff, 0xff, 0xff, 7 })]          // a length prefix far over the limit
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 7 })]          // a negative length prefix
    [InlineData(new byte[] { 0, 0, 0, 5, 4, 0, 0, 0x10, 0 })]       // have for a piece out of range
    [InlineData(new byte[] { 0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0 })] // a misaligned 64 KiB request
    public async Task Peer_sending_garbage_is_dropped_and_the_seeder_keeps_serving(byte[] garbage)
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(256 * 1024, 16 * 1024, seed: 7);
        await using TorrentSwarm seeder = TorrentSwarm.Start(torrent, new MemoryPieceStore(data), Full(torrent), Loopback, null);
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(seeder.LocalEndPoint);
            var stream = client.GetStream();
            await stream.WriteAsync(new PeerHandshake(torrent.InfoHash, Enumerable.Repeat((byte)'g', 20).ToArray()).ToBytes());
            await stream.WriteAsync(garbage);
            // The seeder answers the handshake (and its bitfield), then closes on the garbage.
            byte[] buffer = new byte[4096];
            int total = 0;
            int read;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                total += read;
            }

            Assert.True(total >= PeerHandshake.Length);
        }

        var store = new MemoryPieceStore(torrent.TotalLength);
        await using TorrentSwarm leecher = TorrentSwarm.Start(torrent, store, new Bitfield(torrent.PieceCount), Loopback, null);
        leecher.AddPeers(new[] { seeder.LocalEndPoint });
        await WithTimeout(leecher.Completion);
        Assert.True(store.Data.Span.SequenceEqual(data));
    }

    [Fact]
    public async Task When_the_only_other_holder_of_pieces_leaves_the_seed_is_asked_for_them_at_once()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(16 * 32 * 1024, 32 * 1024, seed: 9);
        await using TorrentSwarm seeder = TorrentSwarm.Start(torrent, new MemoryPieceStore(data), Full(torrent), Loopback, null);
        var store = new MemoryPieceStore(torrent.TotalLength);
        // Found in bench/startup: peers that exit once done left the last one stalled for good with
        // pieces only the seeder still held (fixed twice: the order on a leave, and a maintenance pass).
        await using TorrentSwarm leecher = TorrentSwarm.Start(torrent, store, new Bitfield(torrent.PieceCount), Loopback, null);

        // A downloading peer that claims every piece but the first, unchokes, and never sends a block.
        var most = RawPeer.All(torrent);
        most.Clear(0);
        using RawPeer silent = await RawPeer.ConnectAsync(leecher.LocalEndPoint, torrent, most, (byte)'z');
        await silent.SendUnchokeAsync();
        await Task.Delay(300); // the leecher now asks the silent peer for its pieces

        leecher.AddPeers(new[] { seeder.LocalEndPoint });
        for (int wait = 0; wait < 100 && leecher.GetStatistics().Downloaded < 32 * 1024; wait++)
        {
            await Task.Delay(50); // piece 0, the one only the seed has
        }

        Assert.False(leecher.Completion.IsCompleted, "everything came from the seed while another peer held it");
        silent.Dispose();
        await WithTimeout(leecher.Completion, 10);
        Assert.True(store.Data.Span.SequenceEqual(data));
    }

    private sealed class ListTracker : ISwarmTracker
    {
        private readonly IPEndPoint[] _peers;

        public ListTracker(params IPEndPoint[] peers) => _peers = peers;

        public List<SwarmAnnounceEvent> Events { get; } = new();

        public long LastLeft { get; private set; } = -1;

        public Task<SwarmAnnounceResponse> AnnounceAsync(SwarmAnnounce announce, CancellationToken cancellation)
        {
            lock (Events)
            {
                Events.Add(announce.Event);
                LastLeft = announce.Left;
            }

            return Task.FromResult(new SwarmAnnounceResponse(TimeSpan.FromSeconds(1), _peers));
        }
    }
}
