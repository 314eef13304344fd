using System;
using System.Buffers;
using System.Buffers.Binary;

namespace Murder.Core.PeerWire;

/// <summary>
/// Formats peer wire messages into a span or an <see cref="IBufferWriter{T}"/> without allocating.
/// Each span method returns the bytes written and throws <see cref="ArgumentException"/> when the
/// destination is too small (a caller bug, not a peer's). A block is sent from its own buffer:
/// write <see cref="WritePieceHeader(Span{byte}, int, int, int)"/>, then the block bytes.
/// </summary>
public static class PeerMessageWriter
{
    /// <summary>Writes a keep-alive (4 bytes).</summary>
    public static int WriteKeepAlive(Span<byte> destination)
    {
        Require(destination, PeerWireLimits.KeepAliveSize);
        BinaryPrimitives.WriteInt32BigEndian(destination, 0);
        return PeerWireLimits.KeepAliveSize;
    }

    /// <summary>Writes choke, unchoke, interested or not interested (5 bytes).</summary>
    public static int WriteState(Span<byte> destination, PeerMessageKind kind)
    {
        if (kind is not (PeerMessageKind.Choke or PeerMessageKind.Unchoke or PeerMessageKind.Interested or PeerMessageKind.NotInterested))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only choke, unchoke, interested and not interested have no payload.");
        }

        Require(destination, PeerWireLimits.StateMessageSize);
        WriteHeader(destination, 1, kind);
        return PeerWireLimits.StateMessageSize;
    }

    /// <summary>Writes a choke (5 bytes).</summary>
    public static int WriteChoke(Span<byte> destination) => WriteState(destination, PeerMessageKind.Choke);

    /// <summary>Writes an unchoke (5 bytes).</summary>
    public static int WriteUnchoke(Span<byte> destination) => WriteState(destination, PeerMessageKind.Unchoke);

    /// <summary>Writes an interested (5 bytes).</summary>
    public static int WriteInterested(Span<byte> destination) => WriteState(destination, PeerMessageKind.Interested);

    /// <summary>Writes a not interested (5 bytes).</summary>
    public static int WriteNotInterested(Span<byte> destination) => WriteState(destination, PeerMessageKind.NotInterested);

    /// <summary>Writes a have (9 bytes).</summary>
    public static int WriteHave(Span<byte> destination, int index)
    {
        Require(destination, PeerWireLimits.HaveMessageSize);
        WriteHeader(destination, 5, PeerMessageKind.Have);
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        return PeerWireLimits.HaveMessageSize;
    }

    /// <summary>The bytes a bitfield message takes.</summary>
    public static int GetBitfieldMessageSize(Bitfield bitfield) => 5 + bitfield.ByteLength;

    /// <summary>Writes a bitfield message (5 + <see cref="Bitfield.ByteLength"/> bytes).</summary>
    public static int WriteBitfield(Span<byte> destination, Bitfield bitfield)
    {
        int size = GetBitfieldMessageSize(bitfield);
        Require(destination, size);
        WriteHeader(destination, 1 + bitfield.ByteLength, PeerMessageKind.Bitfield);
        bitfield.WriteTo(destination[5..]);
        return size;
    }

    /// <summary>Writes a request (17 bytes).</summary>
    public static int WriteRequest(Span<byte> destination, int index, int begin, int length) =>
        WriteBlockReference(destination, PeerMessageKind.Request, index, begin, length);

    /// <summary>Writes a cancel (17 bytes).</summary>
    public static int WriteCancel(Span<byte> destination, int index, int begin, int length) =>
        WriteBlockReference(destination, PeerMessageKind.Cancel, index, begin, length);

    /// <summary>Writes the 13-byte header of a piece message carrying <paramref name="blockLength"/> bytes; send the block after it.</summary>
    public static int WritePieceHeader(Span<byte> destination, int index, int begin, int blockLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockLength, PeerWireLimits.MaxMessageLength - 9);
        Require(destination, PeerWireLimits.PieceHeaderSize);
        WriteHeader(destination, 9 + blockLength, PeerMessageKind.Piece);
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        return PeerWireLimits.PieceHeaderSize;
    }

    /// <summary>Writes a whole piece message (13 bytes of header and the block).</summary>
    public static int WritePiece(Span<byte> destination, int index, int begin, ReadOnlySpan<byte> block)
    {
        Require(destination, PeerWireLimits.PieceHeaderSize + block.Length);
        WritePieceHeader(destination, index, begin, block.Length);
        block.CopyTo(destination[PeerWireLimits.PieceHeaderSize..]);
        return PeerWireLimits.PieceHeaderSize + block.Length;
    }

    /// <summary>Writes a port message (7 bytes).</summary>
    public static int WritePort(Span<byte> destination, ushort port)
    {
        Require(destination, PeerWireLimits.PortMessageSize);
        WriteHeader(destination, 3, PeerMessageKind.Port);
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], port);
        return PeerWireLimits.PortMessageSize;
    }

    /// <summary>Writes a keep-alive.</summary>
    public static void WriteKeepAlive(IBufferWriter<byte> writer) =>
        writer.Advance(WriteKeepAlive(writer.GetSpan(PeerWireLimits.KeepAliveSize)));

    /// <summary>Writes choke, unchoke, interested or not interested.</summary>
    public static void WriteState(IBufferWriter<byte> writer, PeerMessageKind kind) =>
        writer.Advance(WriteState(writer.GetSpan(PeerWireLimits.StateMessageSize), kind));

    /// <summary>Writes a have.</summary>
    public static void WriteHave(IBufferWriter<byte> writer, int index) =>
        writer.Advance(WriteHave(writer.GetSpan(PeerWireLimits.HaveMessageSize), index));

    /// <summary>Writes a bitfield message.</summary>
    public static void WriteBitfield(IBufferWriter<byte> writer, Bitfield bitfield) =>
        writer.Advance(WriteBitfield(writer.GetSpan(GetBitfieldMessageSize(bitfield)), bitfield));

    /// <summary>Writes a request.</summary>
    public static void WriteRequest(IBufferWriter<byte> writer, int index, int begin, int length) =>
        writer.Advance(WriteRequest(writer.GetSpan(PeerWireLimits.RequestMessageSize), index, begin, length));

    /// <summary>Writes a cancel.</summary>
    public static void WriteCancel(IBufferWriter<byte> writer, int index, int begin, int length) =>
        writer.Advance(WriteCancel(writer.GetSpan(PeerWireLimits.RequestMessageSize), index, begin, length));

    /// <summary>Writes a piece message's header; write the block after it.</summary>
    public static void WritePieceHeader(IBufferWriter<byte> writer, int index, int begin, int blockLength) =>
        writer.Advance(WritePieceHeader(writer.GetSpan(PeerWireLimits.PieceHeaderSize), index, begin, blockLength));

    /// <summary>Writes a whole piece message.</summary>
    public static void WritePiece(IBufferWriter<byte> writer, int index, int begin, ReadOnlySpan<byte> block) =>
        writer.Advance(WritePiece(writer.GetSpan(PeerWireLimits.PieceHeaderSize + block.Length), index, begin, block));

    /// <summary>Writes a port message.</summary>
    public static void WritePort(IBufferWriter<byte> writer, ushort port) =>
        writer.Advance(WritePort(writer.GetSpan(PeerWireLimits.PortMessageSize), port));

    private static int WriteBlockReference(Span<byte> destination, PeerMessageKind kind, int index, int begin, int length)
    {
        Require(destination, PeerWireLimits.RequestMessageSize);
        WriteHeader(destination, 13, kind);
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        BinaryPrimitives.WriteInt32BigEndian(destination[13..], length);
        return PeerWireLimits.RequestMessageSize;
    }

    private static void WriteHeader(Span<byte> destination, int length, PeerMessageKind kind)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, length);
        destination[4] = (byte)kind;
    }

    private static void Require(Span<byte> destination, int size)
    {
        if (destination.Length < size)
        {
            throw new ArgumentException($"The message needs {size} bytes; the destination has {destination.Length}.", nameof(destination));
        }
    }
}
