using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;
using Xunit;

namespace Murder.Core.Tests.Swarm;

/// <summary>
/// What a downloading peer puts on the wire per block: requests in batches (one wake-up and one
/// write per batch on both sides, not per 16 KiB), and no 'have' to a peer that holds the piece.
/// Driven by a seed on a raw socket that answers one block at a time and logs what arrives between.
/// </summary>
public class WireEconomyTests
{
    private const int PieceLength = 4 * PeerWireLimits.BlockLength;
    private const int Pieces = 8;

    [Fact]
    public async Task Requests_come_in_batches_and_a_seed_gets_no_haves()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(PieceLength * Pieces, PieceLength, seed: 5);
        var settings = new SwarmSettings { ListenAddress = IPAddress.Loopback, MinOutstandingRequests = 16, MaxOutstandingRequests = 16 };
        await using TorrentSwarm leecher = TorrentSwarm.Start(torrent, new MemoryPieceStore(new byte[data.Length]), new Bitfield(Pieces), settings, null);
        using var seed = await SlowSeed.ConnectAsync(leecher.LocalEndPoint, torrent, data);

        string log = await seed.ServeAllAsync(TimeSpan.FromSeconds(30));
        await leecher.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        // The log: R per request, B per block sent, H per 'have' (one block sent per step).
        Assert.Equal(Pieces * 4, log.Count(c => c == 'B'));
        Assert.Equal(0, log.Count(c => c == 'H'));
        // After the first fill of 16, the other 16 requests: one per block received without batches
        // (16 bursts), four bursts of four with them. A loaded machine may split a burst across two
        // of the seed's listening pauses, so up to twice that passes.
        int[] bursts = log.Split('B').Skip(1).Select(between => between.Count(c => c == 'R')).Where(count => count > 0).ToArray();
        Assert.Equal((Pieces * 4) - 16, bursts.Sum());
        Assert.InRange(bursts.Length, 1, 2 * 16 / TorrentSwarm.RequestBatchDivisor);
    }

    /// <summary>A seed on a raw socket that sends one requested block, then listens a while, and logs both.</summary>
    private sealed class SlowSeed : IDisposable
    {
        private readonly TcpClient _client;
        private readonly NetworkStream _stream;
        private readonly byte[] _data;
        private readonly List<byte> _pending = new();
        private readonly Queue<(int Piece, int Begin, int Length)> _requests = new();
        private readonly StringBuilder _log = new();

        private SlowSeed(TcpClient client, byte[] data)
        {
            _client = client;
            _stream = client.GetStream();
            _data = data;
        }

        public static async Task<SlowSeed> ConnectAsync(IPEndPoint endPoint, TorrentMetaInfo torrent, byte[] data)
        {
            var client = new TcpClient();
            await client.ConnectAsync(endPoint);
            var seed = new SlowSeed(client, data);
            await seed._stream.WriteAsync(new PeerHandshake(torrent.InfoHash, Enumerable.Repeat((byte)'s', 20).ToArray()).ToBytes());
            byte[] handshake = new byte[PeerHandshake.Length];
            await seed._stream.ReadExactlyAsync(handshake).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            var all = new Bitfield(torrent.PieceCount);
            all.SetAll();
            await seed.SendAsync(5, all.ToBytes());
            await seed.SendAsync(1, Array.Empty<byte>()); // unchoke
            return seed;
        }

        public async Task<string> ServeAllAsync(TimeSpan limit)
        {
            DateTime until = DateTime.UtcNow + limit;
            int total = _data.Length / PeerWireLimits.BlockLength;
            int sent = 0;
            await ListenAsync(TimeSpan.FromMilliseconds(300)); // the first fill
            while (sent < total && DateTime.UtcNow < until)
            {
                if (_requests.Count == 0)
                {
                    await ListenAsync(TimeSpan.FromMilliseconds(100));
                    continue;
                }

                (int piece, int begin, int length) = _requests.Dequeue();
                byte[] payload = new byte[8 + length];
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(0), piece);
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), begin);
                Array.Copy(_data, (piece * PieceLength) + begin, payload, 8, length);
                await SendAsync(7, payload);
                _log.Append('B');
                sent++;
                await ListenAsync(TimeSpan.FromMilliseconds(60));
            }

            await ListenAsync(TimeSpan.FromMilliseconds(300)); // haves of the last pieces, if any
            return _log.ToString();
        }

        public void Dispose() => _client.Dispose();

        /// <summary>Reads and logs what the leecher sends until it has been quiet for <paramref name="quiet"/>.</summary>
        private async Task ListenAsync(TimeSpan quiet)
        {
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
                    return;
                }

                if (read == 0)
                {
                    return;
                }

                _pending.AddRange(buffer.AsSpan(0, read).ToArray());
                while (_pending.Count >= 4)
                {
                    int length = BinaryPrimitives.ReadInt32BigEndian(_pending.GetRange(0, 4).ToArray());
                    if (_pending.Count < 4 + length)
                    {
                        break;
                    }

                    byte[] message = _pending.GetRange(4, length).ToArray();
                    _pending.RemoveRange(0, 4 + length);
                    if (length == 13 && message[0] == 6)
                    {
                        _requests.Enqueue((BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(1)), BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(5)), BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(9))));
                        _log.Append('R');
                    }
                    else if (length > 0 && message[0] == 4)
                    {
                        _log.Append('H');
                    }
                }
            }
        }

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
