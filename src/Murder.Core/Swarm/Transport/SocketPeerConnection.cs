using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm.Sessions;

namespace Murder.Core.Swarm.Transport;

/// <summary>
/// One peer's socket, the production <see cref="IPeerLink"/>: a receive loop that frames messages
/// and hands them to the owner, and a send loop that drains a queue into large writes (blocks are
/// read from the store just before they are sent). Protocol state is the engine's
/// (<see cref="Session"/>); the connection itself takes no lock. 'have's to a peer we download
/// from that wants nothing of ours wait for our next message to it, up to <see cref="HaveHold"/>
/// (see <see cref="MayHoldHaves"/>).
/// </summary>
internal sealed class SocketPeerConnection : IPeerLink, IDisposable
{
    private const int InitialReceiveBuffer = 128 * 1024;
    private const int SendBufferSize = 256 * 1024;
    private const int LowWaterMinimum = 4 * 1024;
    private const int LowWaterMaximum = 256 * 1024;
    private const int SolSocket = 1; // Linux SOL_SOCKET
    private const int SoRcvLowat = 18; // Linux SO_RCVLOWAT

    /// <summary>
    /// How long 'have's may wait for another message to the same peer (see <see cref="MayHoldHaves"/>):
    /// a super-seeding origin got each of the ~16,000 'have's of 16 peers as a wake-up of its own.
    /// </summary>
    public static readonly TimeSpan HaveHold = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly IPieceStore _store;
    private readonly long _pieceLength;
    private readonly PeerMessageReader _reader;
    private readonly Channel<OutgoingMessage> _outgoing = Channel.CreateUnbounded<OutgoingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly TimeSpan _haveHold;
    private volatile bool _closed;
    private volatile bool _peerInterested;
    private bool _amInterested;
    private int _lowWater = 1;

    /// <param name="socket">The connected socket, handshake done.</param>
    /// <param name="pieceCount">The torrent's pieces (bounds what the peer may send).</param>
    /// <param name="pieceLength">The torrent's piece length.</param>
    /// <param name="store">Where blocks are read from just before they are sent.</param>
    /// <param name="haveHold">How long 'have's may wait (<see cref="HaveHold"/> unless a test says otherwise).</param>
    public SocketPeerConnection(Socket socket, int pieceCount, long pieceLength, IPieceStore store, TimeSpan? haveHold = null)
    {
        _socket = socket;
        _store = store;
        _pieceLength = pieceLength;
        _reader = new PeerMessageReader(pieceCount);
        _haveHold = haveHold ?? HaveHold;
    }

    /// <summary>The engine's session for this connection, once the handshake is accepted.</summary>
    public PeerSession? Session { get; set; }

    public bool IsClosed => _closed;

    /// <summary>
    /// 'have's may wait: we are interested in the peer and it is not interested in us (a
    /// super-seeding origin, a peer ahead of us), so it learns of our pieces with our next request,
    /// which comes soon while we download from it, and at most <see cref="HaveHold"/> late. A peer
    /// interested in us, or one we ask nothing of, gets them at once.
    /// </summary>
    private bool MayHoldHaves => _amInterested && !_peerInterested;

    public void Send(in OutgoingMessage message) => _outgoing.Writer.TryWrite(message);

    public void Dispose()
    {
        Close();
        _closing.Dispose();
    }

    public void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;

        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _outgoing.Writer.TryComplete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }

    /// <summary>Runs both loops until either ends; returns why the connection closed.</summary>
    public async Task<Exception?> RunAsync(IConnectionOwner owner, ReadOnlyMemory<byte> alreadyReceived)
    {
        Task receive = ReceiveLoopAsync(owner, alreadyReceived);
        Task send = SendLoopAsync(owner);
        Task first = await Task.WhenAny(receive, send).ConfigureAwait(false);
        Close();
        Exception? reason = first.Exception?.GetBaseException();
        try
        {
            await Task.WhenAll(receive, send).ConfigureAwait(false);
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException or OperationCanceledException or PeerProtocolException or IOException)
        {
            reason ??= error;
        }

        return reason;
    }

    private async Task ReceiveLoopAsync(IConnectionOwner owner, ReadOnlyMemory<byte> alreadyReceived)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(InitialReceiveBuffer, alreadyReceived.Length));
        try
        {
            alreadyReceived.CopyTo(buffer);
            int filled = alreadyReceived.Length;
            CancellationToken token = _closing.Token;
            while (true)
            {
                int start = 0;
                while (start < filled && _reader.TryRead(buffer.AsMemory(start, filled - start), out int consumed, out PeerMessage message))
                {
                    if (message.Kind is PeerMessageKind.Interested or PeerMessageKind.NotInterested)
                    {
                        _peerInterested = message.Kind == PeerMessageKind.Interested;
                    }

                    owner.Receive(this, message);
                    start += consumed;
                }

                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }

                if (filled == buffer.Length)
                {
                    // A message larger than the buffer (a big bitfield); the reader caps the size.
                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, PeerWireLimits.MaxMessageLength + PeerWireLimits.LengthPrefixSize));
                    Buffer.BlockCopy(buffer, 0, larger, 0, filled);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                SetLowWater(buffer, filled);
                int received = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token).ConfigureAwait(false);
                if (received == 0)
                {
                    return;
                }

                filled += received;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Linux: asks the kernel not to wake this connection's receive until the rest of the message
    /// being read has arrived (SO_RCVLOWAT), so a 16 KiB block costs one or two wake-ups instead of
    /// one per packet. Only bytes the peer is already committed to sending (the remainder of a
    /// message whose length prefix we hold) are waited for, so nothing can stall on it; below a few
    /// KiB, or between messages, the mark is 1 byte (the default).
    /// </summary>
    private void SetLowWater(byte[] buffer, int filled)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int want = 1;
        if (filled >= PeerWireLimits.LengthPrefixSize)
        {
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buffer);
            if (length <= PeerWireLimits.MaxMessageLength)
            {
                long remaining = PeerWireLimits.LengthPrefixSize + length - filled;
                if (remaining >= LowWaterMinimum)
                {
                    want = (int)Math.Min(remaining, Math.Min(buffer.Length - filled, LowWaterMaximum));
                }
            }
        }

        if (want != _lowWater)
        {
            try
            {
                Span<byte> value = stackalloc byte[sizeof(int)];
                System.Runtime.InteropServices.MemoryMarshal.Write(value, in want);
                _socket.SetRawSocketOption(SolSocket, SoRcvLowat, value);
                _lowWater = want;
            }
            catch (SocketException)
            {
                // Not supported here: every packet wakes the receive, as without it.
                _lowWater = want;
            }
        }
    }

    private async Task SendLoopAsync(IConnectionOwner owner)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SendBufferSize);
        Task<bool>? more = null; // a wait for the queue that outlived a hold's timer
        try
        {
            CancellationToken token = _closing.Token;
            ChannelReader<OutgoingMessage> queue = _outgoing.Reader;
            int used = 0;
            long heldSince = 0;
            while (true)
            {
                if (used == 0)
                {
                    bool open = more is null ? await queue.WaitToReadAsync(token).ConfigureAwait(false) : await more.ConfigureAwait(false);
                    more = null;
                    if (!open)
                    {
                        return;
                    }
                }
                else
                {
                    // 'have's held: wait for another message to go with them, or for the hold to end.
                    more ??= queue.WaitToReadAsync(token).AsTask();
                    TimeSpan left = _haveHold - Stopwatch.GetElapsedTime(heldSince);
                    if (left > TimeSpan.Zero && !more.IsCompleted)
                    {
                        await Task.WhenAny(more, Task.Delay(left, token)).ConfigureAwait(false);
                        token.ThrowIfCancellationRequested();
                    }

                    if (more.IsCompleted)
                    {
                        bool open = await more.ConfigureAwait(false);
                        more = null;
                        if (!open)
                        {
                            return; // closing: what was held is dropped with the connection
                        }
                    }
                }

                bool onlyHaves = true;
                while (used <= buffer.Length - PeerWireLimits.PieceHeaderSize - PeerWireLimits.BlockLength && queue.TryRead(out OutgoingMessage message))
                {
                    onlyHaves &= message.Kind == PeerMessageKind.Have;
                    if (message.Kind is PeerMessageKind.Interested or PeerMessageKind.NotInterested)
                    {
                        _amInterested = message.Kind == PeerMessageKind.Interested;
                    }

                    if (message.Kind == PeerMessageKind.Bitfield)
                    {
                        // Sent once, first, and may be larger than the buffer: on its own.
                        await SendAllAsync(buffer.AsMemory(0, used), token).ConfigureAwait(false);
                        used = 0;
                        await SendAllAsync(FormatBitfield(message.Payload ?? Array.Empty<byte>()), token).ConfigureAwait(false);
                        continue;
                    }

                    used += await FormatAsync(owner, message, buffer, used, token).ConfigureAwait(false);
                }

                if (used > 0 && onlyHaves && MayHoldHaves && used <= buffer.Length / 2)
                {
                    heldSince = heldSince == 0 ? Stopwatch.GetTimestamp() : heldSince;
                    if (Stopwatch.GetElapsedTime(heldSince) < _haveHold)
                    {
                        continue;
                    }
                }

                await SendAllAsync(buffer.AsMemory(0, used), token).ConfigureAwait(false);
                used = 0;
                heldSince = 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] FormatBitfield(byte[] bitfield)
    {
        byte[] message = new byte[PeerWireLimits.LengthPrefixSize + 1 + bitfield.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message, 1 + bitfield.Length);
        message[PeerWireLimits.LengthPrefixSize] = (byte)PeerMessageKind.Bitfield;
        bitfield.CopyTo(message, PeerWireLimits.LengthPrefixSize + 1);
        return message;
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        int sent = 0;
        while (sent < data.Length)
        {
            sent += await _socket.SendAsync(data[sent..], SocketFlags.None, token).ConfigureAwait(false);
        }
    }

    private async ValueTask<int> FormatAsync(IConnectionOwner owner, OutgoingMessage message, byte[] buffer, int offset, CancellationToken token)
    {
        if (message.Kind != PeerMessageKind.Piece)
        {
            return Format(message, buffer.AsSpan(offset));
        }

        if (!owner.TakeUpload(this, message.Block))
        {
            return 0; // cancelled, or we choked the peer since
        }

        await owner.ThrottleUploadAsync(message.Length, token).ConfigureAwait(false);
        int header = PeerMessageWriter.WritePieceHeader(buffer.AsSpan(offset), message.Index, message.Begin, message.Length);
        await _store.ReadAsync((message.Index * _pieceLength) + message.Begin, buffer.AsMemory(offset + header, message.Length), token).ConfigureAwait(false);
        return header + message.Length;
    }

    private static int Format(OutgoingMessage message, Span<byte> target) => message.Kind switch
    {
        PeerMessageKind.Request => PeerMessageWriter.WriteRequest(target, message.Index, message.Begin, message.Length),
        PeerMessageKind.Cancel => PeerMessageWriter.WriteCancel(target, message.Index, message.Begin, message.Length),
        PeerMessageKind.Have => PeerMessageWriter.WriteHave(target, message.Index),
        PeerMessageKind.KeepAlive => PeerMessageWriter.WriteKeepAlive(target),
        _ => PeerMessageWriter.WriteState(target, message.Kind),
    };
}
