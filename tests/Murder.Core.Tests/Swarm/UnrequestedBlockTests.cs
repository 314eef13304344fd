using System;
using System.Net;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;
using Xunit;

namespace Murder.Core.Tests.Swarm;

/// <summary>
/// Blocks nobody asked for: a peer flooding them is dropped, but blocks of requests we withdrew
/// (a choke, end-game cancels) may still arrive and must not cost a well-behaved peer its connection.
/// </summary>
public class UnrequestedBlockTests
{
    private const int Margin = 8;
    private const int PieceLength = 16 * 1024 * 4;

    [Fact]
    public void The_allowance_grows_with_every_withdrawn_request()
    {
        var allowance = new UnrequestedBlockAllowance(2);
        Assert.True(allowance.TryCount());
        Assert.True(allowance.TryCount());
        Assert.False(allowance.TryCount());
        allowance.Withdrew(3);
        Assert.True(allowance.TryCount()); // 4 of 2 + 3
        Assert.True(allowance.TryCount()); // 5 of 5
        Assert.False(allowance.TryCount());
        Assert.Equal(6, allowance.Unwanted);
    }

    [Fact]
    public async Task A_peer_sending_blocks_nobody_wanted_is_dropped_after_the_margin()
    {
        await using Fixture fixture = await Fixture.StartAsync();
        await fixture.Peer.SendUnchokeAsync();
        await fixture.Peer.SendBlocksOfPieceZeroAsync(Margin);
        Assert.True(await fixture.Peer.IsOpenAsync(), "dropped within the margin");
        await fixture.Peer.SendBlocksOfPieceZeroAsync(1);
        Assert.False(await fixture.Peer.IsOpenAsync(), "not dropped beyond the margin");
    }

    [Fact]
    public async Task Blocks_of_requests_withdrawn_by_a_choke_are_forgiven_but_no_more()
    {
        await using Fixture fixture = await Fixture.StartAsync();
        await fixture.Peer.SendUnchokeAsync();
        int requests = await fixture.Peer.CountRequestsAsync(TimeSpan.FromSeconds(1));
        Assert.True(requests > 0, "the leecher asked for nothing");
        await fixture.Peer.SendChokeAsync();
        // Requests the leecher had already sent before our choke reached it.
        requests += await fixture.Peer.CountRequestsAsync(TimeSpan.FromMilliseconds(500));
        await fixture.Peer.SendBlocksOfPieceZeroAsync(requests + Margin);
        Assert.True(await fixture.Peer.IsOpenAsync(), $"dropped although it sent only {requests} withdrawn blocks plus the margin");
        await fixture.Peer.SendBlocksOfPieceZeroAsync(1);
        Assert.False(await fixture.Peer.IsOpenAsync(), "not dropped beyond the withdrawn requests and the margin");
    }

    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(TorrentSwarm leecher, FakePeer peer)
        {
            Leecher = leecher;
            Peer = peer;
        }

        public TorrentSwarm Leecher { get; }

        public FakePeer Peer { get; }

        public static async Task<Fixture> StartAsync()
        {
            (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(PieceLength * 8, PieceLength, seed: 11);
            // The leecher holds piece 0 already: blocks of it are wanted by nobody.
            byte[] partial = new byte[data.Length];
            Array.Copy(data, partial, PieceLength);
            var have = new Bitfield(torrent.PieceCount);
            have[0] = true;
            var settings = new SwarmSettings { ListenAddress = IPAddress.Loopback, MaxUnrequestedBlocks = Margin };
            TorrentSwarm leecher = TorrentSwarm.Start(torrent, new MemoryPieceStore(partial), have, settings, null);
            FakePeer peer = await FakePeer.ConnectAsync(leecher.LocalEndPoint, torrent);
            return new Fixture(leecher, peer);
        }

        public async ValueTask DisposeAsync()
        {
            Peer.Dispose();
            await Leecher.DisposeAsync();
        }
    }

    /// <summary>A raw peer that has every piece and sends exactly what a test says.</summary>
    private sealed class FakePeer : IDisposable
    {
        private readonly RawPeer _peer;

        private FakePeer(RawPeer peer) => _peer = peer;

        public static async Task<FakePeer> ConnectAsync(IPEndPoint endPoint, TorrentMetaInfo torrent) =>
            new(await RawPeer.ConnectAsync(endPoint, torrent, RawPeer.All(torrent), (byte)'f'));

        public Task SendUnchokeAsync() => _peer.SendUnchokeAsync();

        public Task SendChokeAsync() => _peer.SendChokeAsync();

        public async Task SendBlocksOfPieceZeroAsync(int count)
        {
            byte[] block = new byte[16 * 1024];
            for (int sent = 0; sent < count; sent++)
            {
                await _peer.SendBlockAsync(0, sent % (PieceLength / (16 * 1024)) * 16 * 1024, block);
            }
        }

        /// <summary>Reads what the leecher sends for <paramref name="quiet"/> after the last message; counts its requests.</summary>
        public async Task<int> CountRequestsAsync(TimeSpan quiet)
        {
            int requests = 0;
            await _peer.ReadMessagesAsync(quiet, (id, _) => requests += id == 6 ? 1 : 0);
            return requests;
        }

        /// <summary>Whether the leecher still holds the connection once it has been quiet for 700 ms after what was sent.</summary>
        public Task<bool> IsOpenAsync() => _peer.ReadMessagesAsync(TimeSpan.FromMilliseconds(700), (_, _) => { });

        public void Dispose() => _peer.Dispose();
    }
}
