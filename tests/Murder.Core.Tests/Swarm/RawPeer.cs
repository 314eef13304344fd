using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;

namespace Murder.Core.Tests.Swarm;

/// <summary>
/// A BitTorrent peer on a raw socket, for tests that need a peer doing exactly what they say (and
/// nothing a real swarm would add): it connects, shakes hands, announces the pieces it is told to,
/// sends single messages, and reads and parses whatever the swarm under test sends.
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = new();

    private RawPeer(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Connects to a swarm, shakes hands with peer id <paramref name="idByte"/> x 20, and sends <paramref name="have"/> as its bitfield.</summary>
    public static async Task<RawPeer> ConnectAsync(IPEndPoint endPoint, TorrentMetaInfo torrent, Bitfield have, byte idByte)
    {
        var client = new TcpClient();
        await client.ConnectAsync(endPoint);
        var peer = new RawPeer(client);
        await peer._stream.WriteAsync(new PeerHandshake(torrent.InfoHash, Enumerable.Repeat(idByte, 20).ToArray()).ToBytes());
        await peer._stream.ReadExactlyAsync(new byte[PeerHandshake.Length]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await peer.SendAsync(5, have.ToBytes());
        return peer;
    }

    /// <summary>A bitfield with every piece set.</summary>
    public static Bitfield All(TorrentMetaInfo torrent)
    {
        var all = new Bitfield(torrent.PieceCount);
        all.SetAll();
        return all;
    }

    public Task SendUnchokeAsync() => SendAsync(1, Array.Empty<byte>());

    public Task SendChokeAsync() => SendAsync(0, Array.Empty<byte>());

    /// <summary>Sends a piece message with <paramref name="data"/> as the block at <paramref name="begin"/>.</summary>
    public Task SendBlockAsync(int piece, int begin, ReadOnlySpan<byte> data)
    {
        byte[] payload = new byte[8 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(0), piece);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), begin);
        data.CopyTo(payload.AsSpan(8));
        return SendAsync(7, payload);
    }

    /// <summary>Sends one message: its id and payload, with the length prefix.</summary>
    public async Task SendAsync(byte id, byte[] payload)
    {
        byte[] message = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, 1 + payload.Length);
        message[4] = id;
        payload.CopyTo(message, 5);
        await _stream.WriteAsync(message);
    }

    /// <summary>
    /// Reads until the swarm has sent nothing for <paramref name="quiet"/>, passing each whole message
    /// (id and payload; keep-alives left out) to <paramref name="onMessage"/>. False when the swarm
    /// closed the connection.
    /// </summary>
    public async Task<bool> ReadMessagesAsync(TimeSpan quiet, Action<byte, byte[]> onMessage)
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
                return true;
            }
            catch (IOException)
            {
                return false;
            }

            if (read == 0)
            {
                return false;
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
                if (length > 0)
                {
                    onMessage(message[0], message[1..]);
                }
            }
        }
    }

    public void Dispose() => _client.Dispose();
}
