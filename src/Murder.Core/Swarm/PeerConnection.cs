using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Murder.Core.PeerWire;
using Murder.Core.Storage;

namespace Murder.Core.Swarm;

/// <summary>
/// One peer's socket: a receive loop that frames messages and hands them to the swarm, and a send
/// loop that drains a queue into large writes (blocks are read from the store just before they are
/// sent). The fields marked 'swarm state' are read and written only under the swarm's lock; the
/// connection itself takes no lock.
/// </summary>
internal sealed class PeerConnection : IDisposable
{
    private const int InitialReceiveBuffer = 128 * 1024;
    private const int SendBufferSize = 256 * 1024;
    private const int LowWaterMinimum = 4 * 1024;
    private const int LowWaterMaximum = 256 * 1024;
    private const int SolSocket = 1; // Linux SOL_SOCKET
    private const int SoRcvLowat = 18; // Linux SO_RCVLOWAT
    private readonly Socket _socket;
    private readonly IPieceStore _store;
    private readonly long _pieceLength;
    private readonly PeerMessageReader _reader;
    private readonly Channel<OutgoingMessage> _outgoing = Channel.CreateUnbounded<OutgoingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private long _downloaded;
    private long _uploaded;
    private long _lastReceived;
    private long _lastSent;
    private volatile bool _closed;
    private int _lowWater = 1;

    public PeerConnection(Socket socket, IPEndPoint remote, ReadOnlyMemory<byte> peerId, bool outgoing, int pieceCount, long pieceLength, IPieceStore store, int unrequestedMargin = 64)
    {
        Unrequested = new UnrequestedBlockAllowance(unrequestedMargin);
        _socket = socket;
        RemoteEndPoint = remote;
        PeerId = peerId.ToArray();
        PeerIdText = Convert.ToHexString(PeerId);
        IsOutgoing = outgoing;
        _store = store;
        _pieceLength = pieceLength;
        _reader = new PeerMessageReader(pieceCount);
        RemoteHave = new Bitfield(pieceCount);
        _lastReceived = _lastSent = Stopwatch.GetTimestamp();
    }

    public IPEndPoint RemoteEndPoint { get; }

    public byte[] PeerId { get; }

    public string PeerIdText { get; }

    public bool IsOutgoing { get; }

    // Swarm state (under the swarm's lock).
    public Bitfield RemoteHave { get; }

    public bool AmChoking { get; set; } = true;

    public bool AmInterested { get; set; }

    public bool PeerChoking { get; set; } = true;

    public bool PeerInterested { get; set; }

    public bool ReceivedAnyMessage { get; set; }

    public bool StartedAsSeed { get; set; }

    public List<BlockRequest> Outstanding { get; } = new();

    public HashSet<BlockRequest> CancelledUploads { get; } = new();

    public int QueuedUploads { get; set; }

    public int BadPieces { get; set; }

    /// <summary>Blocks the peer sent that nobody wanted, against the requests we withdrew.</summary>
    public UnrequestedBlockAllowance Unrequested { get; }

    public long RecentDownload { get; set; }

    /// <summary>Payload bytes per second received, smoothed; sizes the request queue.</summary>
    public double DownloadRate { get; private set; }

    private long _rateSampleBytes;
    private long _rateSampleTimestamp = Stopwatch.GetTimestamp();

    /// <summary>Folds the bytes received since the last sample into <see cref="DownloadRate"/>.</summary>
    public void SampleRate()
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = Stopwatch.GetElapsedTime(_rateSampleTimestamp, now).TotalSeconds;
        if (seconds <= 0)
        {
            return;
        }

        long downloaded = Downloaded;
        double sample = (downloaded - _rateSampleBytes) / seconds;
        DownloadRate = DownloadRate == 0 ? sample : (0.5 * DownloadRate) + (0.5 * sample);
        _rateSampleBytes = downloaded;
        _rateSampleTimestamp = now;
    }

    // Counters (any thread).
    public long Downloaded => Interlocked.Read(ref _downloaded);

    public long Uploaded => Interlocked.Read(ref _uploaded);

    public TimeSpan SinceReceived => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastReceived));

    public TimeSpan SinceSent => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastSent));

    public bool IsClosed => _closed;

    public void AddDownloaded(int bytes) => Interlocked.Add(ref _downloaded, bytes);

    public void Enqueue(OutgoingMessage message) => _outgoing.Writer.TryWrite(message);

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
    public async Task<Exception?> RunAsync(TorrentSwarm swarm, ReadOnlyMemory<byte> alreadyReceived)
    {
        Task receive = ReceiveLoopAsync(swarm, alreadyReceived);
        Task send = SendLoopAsync(swarm);
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

    private async Task ReceiveLoopAsync(TorrentSwarm swarm, ReadOnlyMemory<byte> alreadyReceived)
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
                    swarm.Handle(this, message);
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
                Interlocked.Exchange(ref _lastReceived, Stopwatch.GetTimestamp());
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

    private async Task SendLoopAsync(TorrentSwarm swarm)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SendBufferSize);
        try
        {
            CancellationToken token = _closing.Token;
            ChannelReader<OutgoingMessage> queue = _outgoing.Reader;
            while (await queue.WaitToReadAsync(token).ConfigureAwait(false))
            {
                int used = 0;
                while (used <= buffer.Length - PeerWireLimits.PieceHeaderSize - PeerWireLimits.BlockLength && queue.TryRead(out OutgoingMessage message))
                {
                    used += await FormatAsync(swarm, message, buffer, used, token).ConfigureAwait(false);
                }

                if (used > 0)
                {
                    int sent = 0;
                    while (sent < used)
                    {
                        sent += await _socket.SendAsync(buffer.AsMemory(sent, used - sent), SocketFlags.None, token).ConfigureAwait(false);
                    }

                    Interlocked.Exchange(ref _lastSent, Stopwatch.GetTimestamp());
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<int> FormatAsync(TorrentSwarm swarm, OutgoingMessage message, byte[] buffer, int offset, CancellationToken token)
    {
        if (message.Kind != PeerMessageKind.Piece)
        {
            return Format(message, buffer.AsSpan(offset));
        }

        if (!swarm.TakeUpload(this, message.Block))
        {
            return 0; // cancelled, or we choked the peer since
        }

        await swarm.ThrottleUploadAsync(message.Length, token).ConfigureAwait(false);
        int header = PeerMessageWriter.WritePieceHeader(buffer.AsSpan(offset), message.Index, message.Begin, message.Length);
        await _store.ReadAsync((message.Index * _pieceLength) + message.Begin, buffer.AsMemory(offset + header, message.Length), token).ConfigureAwait(false);
        Interlocked.Add(ref _uploaded, message.Length);
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
