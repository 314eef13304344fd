using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
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

    /// <summary>A raw seed that sends one requested block, then listens a while, and logs both.</summary>
    private sealed class SlowSeed : IDisposable
    {
        private readonly RawPeer _peer;
        private readonly byte[] _data;
        private readonly Queue<(int Piece, int Begin, int Length)> _requests = new();
        private readonly StringBuilder _log = new();

        private SlowSeed(RawPeer peer, byte[] data)
        {
            _peer = peer;
            _data = data;
        }

        public static async Task<SlowSeed> ConnectAsync(IPEndPoint endPoint, TorrentMetaInfo torrent, byte[] data)
        {
            var seed = new SlowSeed(await RawPeer.ConnectAsync(endPoint, torrent, RawPeer.All(torrent), (byte)'s'), data);
            await seed._peer.SendUnchokeAsync();
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
                await _peer.SendBlockAsync(piece, begin, _data.AsSpan((piece * PieceLength) + begin, length));
                _log.Append('B');
                sent++;
                await ListenAsync(TimeSpan.FromMilliseconds(60));
            }

            await ListenAsync(TimeSpan.FromMilliseconds(300)); // haves of the last pieces, if any
            return _log.ToString();
        }

        public void Dispose() => _peer.Dispose();

        /// <summary>Reads and logs what the leecher sends until it has been quiet for <paramref name="quiet"/>.</summary>
        private Task<bool> ListenAsync(TimeSpan quiet) => _peer.ReadMessagesAsync(quiet, (id, payload) =>
        {
            if (id == 6 && payload.Length == 12)
            {
                _requests.Enqueue((BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(0)), BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)), BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(8))));
                _log.Append('R');
            }
            else if (id == 4)
            {
                _log.Append('H');
            }
        });
    }
}
