using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
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

    /// <summary>A peer on a raw socket that has every piece and sends exactly what a test says.</summary>
    private sealed class FakePeer : IDisposable
    {
        private readonly TcpClient _client;
        private readonly NetworkStream _stream;
        private readonly List<byte> _pending = new();

        private FakePeer(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
        }

        public static async Task<FakePeer> ConnectAsync(IPEndPoint endPoint, TorrentMetaInfo torrent)
        {
            var client = new TcpClient();
            await client.ConnectAsync(endPoint);
            var peer = new FakePeer(client);
            await peer._stream.WriteAsync(new PeerHandshake(torrent.InfoHash, Enumerable.Repeat((byte)'f', 20).ToArray()).ToBytes());
            byte[] handshake = new byte[PeerHandshake.Length];
            await peer._stream.ReadExactlyAsync(handshake).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            var all = new Bitfield(torrent.PieceCount);
            all.SetAll();
            byte[] bits = all.ToBytes();
            await peer.SendAsync(5, bits);
            return peer;
        }

        public Task SendUnchokeAsync() => SendAsync(1, Array.Empty<byte>());

        public Task SendChokeAsync() => SendAsync(0, Array.Empty<byte>());

        public async Task SendBlocksOfPieceZeroAsync(int count)
        {
            byte[] payload = new byte[8 + (16 * 1024)];
            for (int sent = 0; sent < count; sent++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(0), 0);
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), sent % (PieceLength / (16 * 1024)) * 16 * 1024);
                await SendAsync(7, payload);
            }
        }

        /// <summary>Reads what the leecher sends for <paramref name="quiet"/> after the last message; counts its requests.</summary>
        public async Task<int> CountRequestsAsync(TimeSpan quiet)
        {
            int requests = 0;
            byte[] buffer = new byte[64 * 1024];
            while (true)
            {
                using var timeout = new CancellationTokenSource(quiet);
                int read;
                try
                {
                    read = await _stream.ReadAsync(buffer, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    return requests;
                }

                if (read == 0)
                {
                    return requests;
                }

                _pending.AddRange(buffer.AsSpan(0, read).ToArray());
                while (_pending.Count >= 4)
                {
                    int length = BinaryPrimitives.ReadInt32BigEndian(_pending.GetRange(0, 4).ToArray());
                    if (_pending.Count < 4 + length)
                    {
                        break;
                    }

                    if (length > 0 && _pending[4] == 6)
                    {
                        requests++;
                    }

                    _pending.RemoveRange(0, 4 + length);
                }
            }
        }

        /// <summary>Whether the leecher still holds the connection half a second after what was sent.</summary>
        public async Task<bool> IsOpenAsync()
        {
            byte[] buffer = new byte[64 * 1024];
            DateTime until = DateTime.UtcNow.AddMilliseconds(700);
            try
            {
                while (DateTime.UtcNow < until)
                {
                    using var timeout = new CancellationTokenSource(until - DateTime.UtcNow);
                    if (await _stream.ReadAsync(buffer, timeout.Token) == 0)
                    {
                        return false;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return true;
            }
            catch (System.IO.IOException)
            {
                return false;
            }

            return true;
        }

        public void Dispose() => _client.Dispose();

        private async Task SendAsync(byte id, byte[] payload)
        {
            byte[] message = new byte[5 + payload.Length];
            BinaryPrimitives.WriteInt32BigEndian(message, 1 + payload.Length);
            message[4] = id;
            payload.CopyTo(message, 5);
            await _stream.WriteAsync(message);
        }
    }
}
