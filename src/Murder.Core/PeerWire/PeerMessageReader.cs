using System;
using System.Buffers;
using System.Buffers.Binary;

namespace Murder.Core.PeerWire;

/// <summary>
/// Frames peer wire messages out of received bytes, sans-IO, in the style of Kestrel and
/// BedrockFramework: <see cref="TryRead(in ReadOnlySequence{byte}, out SequencePosition, out SequencePosition, out PeerMessage)"/>
/// returns false until a whole message is buffered, and throws <see cref="PeerProtocolException"/>
/// as soon as a length prefix or id shows the message is not acceptable, before the body arrives.
/// Every length is bounded: a piece carries at most one block, a bitfield at most the torrent's
/// pieces, anything else at most <see cref="PeerWireLimits.MaxMessageLength"/>. Nothing is copied:
/// a piece's block is a slice of the input. The reader holds no state between calls, so one
/// instance can serve every connection of a torrent.
/// </summary>
public sealed class PeerMessageReader
{
    /// <summary>Creates a reader for a torrent with <paramref name="pieceCount"/> pieces.</summary>
    /// <param name="pieceCount">The torrent's piece count: bounds the bitfield.</param>
    /// <param name="maxBlockLength">The largest block a piece message may carry.</param>
    public PeerMessageReader(int pieceCount, int maxBlockLength = PeerWireLimits.BlockLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pieceCount, PeerWireLimits.MaxPieceCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBlockLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBlockLength, PeerWireLimits.MaxMessageLength - 9);
        PieceCount = pieceCount;
        MaxBlockLength = maxBlockLength;
        MaxBitfieldLength = PeerWireLimits.BitfieldByteCount(pieceCount);
    }

    /// <summary>The torrent's piece count.</summary>
    public int PieceCount { get; }

    /// <summary>The largest block a piece message may carry.</summary>
    public int MaxBlockLength { get; }

    /// <summary>The largest bitfield payload accepted.</summary>
    public int MaxBitfieldLength { get; }

    /// <summary>
    /// Reads one message if the buffer holds all of it. On true, <paramref name="consumed"/> and
    /// <paramref name="examined"/> are the end of the message; on false, nothing is consumed and
    /// everything was examined (wait for more bytes).
    /// </summary>
    /// <exception cref="PeerProtocolException">The bytes are not an acceptable message; drop the connection.</exception>
    public bool TryRead(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out SequencePosition examined, out PeerMessage message)
    {
        message = default;
        consumed = buffer.Start;
        examined = buffer.End;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out int signedLength))
        {
            return false;
        }

        uint length = (uint)signedLength;
        if (length == 0)
        {
            consumed = examined = reader.Position;
            message = PeerMessage.KeepAlive;
            return true;
        }

        if (signedLength < 0)
        {
            throw new PeerProtocolException(PeerProtocolError.NegativeLength, $"The peer sent a negative length prefix ({signedLength}).");
        }

        if (length > PeerWireLimits.MaxMessageLength)
        {
            throw new PeerProtocolException(PeerProtocolError.MessageTooLong, $"The peer sent a message of {length} bytes; the most any message may have is {PeerWireLimits.MaxMessageLength}.");
        }

        if (!reader.TryRead(out byte id))
        {
            return false;
        }

        int bodyLength = (int)length - 1;
        CheckLength(id, bodyLength);
        if (reader.Remaining < bodyLength)
        {
            return false;
        }

        ReadOnlySequence<byte> body = buffer.Slice(reader.Position, bodyLength);
        message = Parse(id, body);
        consumed = examined = body.End;
        return true;
    }

    /// <summary>
    /// Reads one message from a contiguous buffer (for callers without a pipe).
    /// <paramref name="consumed"/> is the bytes the message took, 0 when more are needed.
    /// </summary>
    /// <exception cref="PeerProtocolException">The bytes are not an acceptable message; drop the connection.</exception>
    public bool TryRead(ReadOnlyMemory<byte> buffer, out int consumed, out PeerMessage message)
    {
        var sequence = new ReadOnlySequence<byte>(buffer);
        if (TryRead(sequence, out SequencePosition end, out _, out message))
        {
            consumed = (int)sequence.Slice(sequence.Start, end).Length;
            return true;
        }

        consumed = 0;
        return false;
    }

    private void CheckLength(byte id, int bodyLength)
    {
        bool ok = (PeerMessageKind)id switch
        {
            PeerMessageKind.Choke or PeerMessageKind.Unchoke or PeerMessageKind.Interested or PeerMessageKind.NotInterested => bodyLength == 0,
            PeerMessageKind.Have => bodyLength == 4,
            PeerMessageKind.Bitfield => bodyLength <= MaxBitfieldLength,
            PeerMessageKind.Request or PeerMessageKind.Cancel => bodyLength == 12,
            PeerMessageKind.Piece => bodyLength > 8 && bodyLength - 8 <= MaxBlockLength,
            PeerMessageKind.Port => bodyLength == 2,
            _ => true, // extended and unknown ids: bounded by the hard cap only
        };

        if (!ok)
        {
            // Only the failure path builds strings: the hot path allocates nothing.
            string expected = (PeerMessageKind)id switch
            {
                PeerMessageKind.Have => "a 4-byte payload",
                PeerMessageKind.Bitfield => $"at most {MaxBitfieldLength} bytes for {PieceCount} pieces",
                PeerMessageKind.Request or PeerMessageKind.Cancel => "a 12-byte payload",
                PeerMessageKind.Piece => $"a block of 1 to {MaxBlockLength} bytes after the index and offset",
                PeerMessageKind.Port => "a 2-byte payload",
                _ => "no payload",
            };
            throw new PeerProtocolException(
                PeerProtocolError.InvalidMessageLength,
                $"The peer sent a {Describe(id)} message with {bodyLength} payload bytes; it must have {expected}.");
        }
    }

    private static PeerMessage Parse(byte id, ReadOnlySequence<byte> body)
    {
        PeerMessageKind kind = (PeerMessageKind)id;
        switch (kind)
        {
            case PeerMessageKind.Choke or PeerMessageKind.Unchoke or PeerMessageKind.Interested or PeerMessageKind.NotInterested:
                return new PeerMessage(kind, id, 0, 0, 0, 0, ReadOnlySequence<byte>.Empty);
            case PeerMessageKind.Have:
                return new PeerMessage(kind, id, ReadInt32(body, 0), 0, 0, 0, ReadOnlySequence<byte>.Empty);
            case PeerMessageKind.Bitfield:
                return new PeerMessage(kind, id, 0, 0, (int)body.Length, 0, body);
            case PeerMessageKind.Request or PeerMessageKind.Cancel:
                return new PeerMessage(kind, id, ReadInt32(body, 0), ReadInt32(body, 4), ReadInt32(body, 8), 0, ReadOnlySequence<byte>.Empty);
            case PeerMessageKind.Piece:
                ReadOnlySequence<byte> block = body.Slice(8);
                return new PeerMessage(kind, id, ReadInt32(body, 0), ReadInt32(body, 4), (int)block.Length, 0, block);
            case PeerMessageKind.Port:
                Span<byte> port = stackalloc byte[2];
                body.Slice(0, 2).CopyTo(port);
                return new PeerMessage(kind, id, 0, 0, 0, BinaryPrimitives.ReadUInt16BigEndian(port), ReadOnlySequence<byte>.Empty);
            case PeerMessageKind.Extended:
                return new PeerMessage(kind, id, 0, 0, (int)body.Length, 0, body);
            default:
                return new PeerMessage(PeerMessageKind.Unknown, id, 0, 0, (int)body.Length, 0, body);
        }
    }

    private static int ReadInt32(ReadOnlySequence<byte> body, int offset)
    {
        ReadOnlySequence<byte> field = body.Slice(offset, 4);
        if (field.IsSingleSegment)
        {
            return BinaryPrimitives.ReadInt32BigEndian(field.FirstSpan);
        }

        Span<byte> bytes = stackalloc byte[4];
        field.CopyTo(bytes);
        return BinaryPrimitives.ReadInt32BigEndian(bytes);
    }

    private static string Describe(byte id) => (PeerMessageKind)id switch
    {
        PeerMessageKind.NotInterested => "not interested",
        PeerMessageKind kind when id <= 9 => kind.ToString().ToLowerInvariant(),
        _ => $"id {id}",
    };
}
