using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using Murder.Core.PeerWire;
using Xunit;

namespace Murder.Core.Tests.PeerWire;

public sealed class PeerMessageReaderTests
{
    private const int Pieces = 100;
    private readonly PeerMessageReader _reader = new(Pieces);

    private static byte[] Frame(byte id, params byte[] payload)
    {
        byte[] message = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, 1 + payload.Length);
        message[4] = id;
        payload.CopyTo(message, 5);
        return message;
    }

    private static byte[] Prefix(uint length, params byte[] rest)
    {
        byte[] bytes = new byte[4 + rest.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        rest.CopyTo(bytes, 4);
        return bytes;
    }

    private PeerMessage ReadOne(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(_reader.TryRead(buffer, out SequencePosition consumed, out SequencePosition examined, out PeerMessage message));
        Assert.Equal(bytes.Length, buffer.Slice(buffer.Start, consumed).Length);
        Assert.Equal(consumed, examined);
        return message;
    }

    private PeerProtocolException Reject(byte[] bytes) =>
        Assert.Throws<PeerProtocolException>(() => _reader.TryRead(new ReadOnlySequence<byte>(bytes), out _, out _, out _));

    /// <summary>Every message the writer can produce, with what reading it must give.</summary>
    public static IEnumerable<object[]> AllMessages()
    {
        var bitfield = new Bitfield(Pieces);
        bitfield.Set(0);
        bitfield.Set(63);
        bitfield.Set(99);
        byte[] block = Enumerable.Range(0, PeerWireLimits.BlockLength).Select(value => (byte)(value * 7)).ToArray();
        yield return new object[] { "keep-alive", Write(span => PeerMessageWriter.WriteKeepAlive(span)), PeerMessageKind.KeepAlive, 0, 0, 0 };
        yield return new object[] { "choke", Write(PeerMessageWriter.WriteChoke), PeerMessageKind.Choke, 0, 0, 0 };
        yield return new object[] { "unchoke", Write(PeerMessageWriter.WriteUnchoke), PeerMessageKind.Unchoke, 0, 0, 0 };
        yield return new object[] { "interested", Write(PeerMessageWriter.WriteInterested), PeerMessageKind.Interested, 0, 0, 0 };
        yield return new object[] { "not interested", Write(PeerMessageWriter.WriteNotInterested), PeerMessageKind.NotInterested, 0, 0, 0 };
        yield return new object[] { "have", Write(span => PeerMessageWriter.WriteHave(span, 42)), PeerMessageKind.Have, 42, 0, 0 };
        yield return new object[] { "bitfield", Write(span => PeerMessageWriter.WriteBitfield(span, bitfield)), PeerMessageKind.Bitfield, 0, 0, 13 };
        yield return new object[] { "request", Write(span => PeerMessageWriter.WriteRequest(span, 7, 32768, 16384)), PeerMessageKind.Request, 7, 32768, 16384 };
        yield return new object[] { "cancel", Write(span => PeerMessageWriter.WriteCancel(span, 8, 16384, 100)), PeerMessageKind.Cancel, 8, 16384, 100 };
        yield return new object[] { "piece", Write(span => PeerMessageWriter.WritePiece(span, 9, 49152, block)), PeerMessageKind.Piece, 9, 49152, block.Length };
        yield return new object[] { "port", Write(span => PeerMessageWriter.WritePort(span, 6881)), PeerMessageKind.Port, 0, 0, 0 };
    }

    private static byte[] Write(SpanWriter write)
    {
        byte[] buffer = new byte[PeerWireLimits.BlockLength + 64];
        int written = write(buffer);
        return buffer[..written];
    }

    private delegate int SpanWriter(Span<byte> destination);

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void RoundTrip_EveryMessage(string name, byte[] wire, PeerMessageKind kind, int index, int begin, int length)
    {
        PeerMessage message = ReadOne(wire);
        Assert.Equal(kind, message.Kind);
        Assert.Equal(index, message.Index);
        Assert.Equal(begin, message.Begin);
        Assert.Equal(length, message.Length);
        Assert.False(string.IsNullOrEmpty(name));
        if (kind == PeerMessageKind.Port)
        {
            Assert.Equal(6881, message.Port);
        }
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Fragmented_OneByteAtATime(string name, byte[] wire, PeerMessageKind kind, int index, int begin, int length)
    {
        // Bytes arrive one at a time: every prefix is "need more", the whole is the message.
        for (int available = 0; available < wire.Length; available++)
        {
            var partial = new ReadOnlySequence<byte>(wire, 0, available);
            Assert.False(_reader.TryRead(partial, out SequencePosition consumed, out SequencePosition examined, out _), $"{name} with {available} bytes");
            Assert.Equal(partial.Start, consumed);
            Assert.Equal(partial.End, examined);
        }

        ReadOnlySequence<byte> segmented = SegmentedSequence.OneBytePerSegment(wire);
        Assert.True(_reader.TryRead(segmented, out SequencePosition end, out _, out PeerMessage message));
        Assert.Equal(wire.Length, segmented.Slice(segmented.Start, end).Length);
        Assert.Equal((kind, index, begin, length), (message.Kind, message.Index, message.Begin, message.Length));
    }

    [Fact]
    public void Piece_BlockIsASliceOfTheInputNotACopy()
    {
        byte[] block = Enumerable.Range(0, 1000).Select(value => (byte)value).ToArray();
        byte[] wire = new byte[PeerWireLimits.PieceHeaderSize + block.Length];
        PeerMessageWriter.WritePiece(wire, 3, 0, block);
        PeerMessage message = ReadOne(wire);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Payload.First, out ArraySegment<byte> segment));
        Assert.Same(wire, segment.Array);
        Assert.Equal(PeerWireLimits.PieceHeaderSize, segment.Offset);
        Assert.Equal(block, message.Payload.ToArray());
    }

    [Fact]
    public void Piece_SplitAcrossSegmentsKeepsTheBytes()
    {
        byte[] block = Enumerable.Range(0, PeerWireLimits.BlockLength).Select(value => (byte)(value ^ 0x5a)).ToArray();
        byte[] wire = new byte[PeerWireLimits.PieceHeaderSize + block.Length];
        PeerMessageWriter.WritePiece(wire, 1, 16384, block);
        ReadOnlySequence<byte> sequence = SegmentedSequence.Create(wire, 3, 7, 5000, 1);
        Assert.True(_reader.TryRead(sequence, out _, out _, out PeerMessage message));
        Assert.False(message.Payload.IsSingleSegment);
        Assert.Equal(block, message.Payload.ToArray());
    }

    [Fact]
    public void SeveralMessagesInOneBuffer_ReadInOrder()
    {
        byte[] first = new byte[PeerWireLimits.HaveMessageSize];
        PeerMessageWriter.WriteHave(first, 5);
        byte[] second = new byte[PeerWireLimits.RequestMessageSize];
        PeerMessageWriter.WriteRequest(second, 6, 0, 16384);
        var buffer = new ReadOnlySequence<byte>(first.Concat(second).Concat(new byte[] { 0, 0 }).ToArray());
        Assert.True(_reader.TryRead(buffer, out SequencePosition consumed, out _, out PeerMessage one));
        buffer = buffer.Slice(consumed);
        Assert.True(_reader.TryRead(buffer, out consumed, out _, out PeerMessage two));
        buffer = buffer.Slice(consumed);
        Assert.False(_reader.TryRead(buffer, out _, out _, out _));
        Assert.Equal((PeerMessageKind.Have, 5), (one.Kind, one.Index));
        Assert.Equal((PeerMessageKind.Request, 6), (two.Kind, two.Index));
        Assert.Equal(2, buffer.Length);
    }

    [Fact]
    public void MemoryOverload_ReportsConsumedBytes()
    {
        byte[] wire = new byte[PeerWireLimits.HaveMessageSize + 3];
        PeerMessageWriter.WriteHave(wire, 77);
        Assert.True(_reader.TryRead(wire.AsMemory(), out int consumed, out PeerMessage message));
        Assert.Equal(PeerWireLimits.HaveMessageSize, consumed);
        Assert.Equal(77, message.Index);
        Assert.False(_reader.TryRead(wire.AsMemory(0, 8), out consumed, out _));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void BufferWriterOverloads_WriteTheSameBytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        PeerMessageWriter.WriteKeepAlive(writer);
        PeerMessageWriter.WriteState(writer, PeerMessageKind.Unchoke);
        PeerMessageWriter.WriteHave(writer, 1);
        PeerMessageWriter.WriteBitfield(writer, new Bitfield(Pieces));
        PeerMessageWriter.WriteRequest(writer, 1, 0, 16384);
        PeerMessageWriter.WriteCancel(writer, 1, 0, 16384);
        PeerMessageWriter.WritePieceHeader(writer, 1, 0, 4);
        writer.Write(new byte[] { 1, 2, 3, 4 });
        PeerMessageWriter.WritePiece(writer, 2, 0, new byte[] { 9 });
        PeerMessageWriter.WritePort(writer, 1);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        var kinds = new List<PeerMessageKind>();
        while (_reader.TryRead(buffer, out SequencePosition consumed, out _, out PeerMessage message))
        {
            kinds.Add(message.Kind);
            if (message.Kind == PeerMessageKind.Piece && message.Index == 1)
            {
                Assert.Equal(new byte[] { 1, 2, 3, 4 }, message.Payload.ToArray());
            }

            buffer = buffer.Slice(consumed);
        }

        Assert.Equal(0, buffer.Length);
        Assert.Equal(
            new[] { PeerMessageKind.KeepAlive, PeerMessageKind.Unchoke, PeerMessageKind.Have, PeerMessageKind.Bitfield, PeerMessageKind.Request, PeerMessageKind.Cancel, PeerMessageKind.Piece, PeerMessageKind.Piece, PeerMessageKind.Port },
            kinds);
    }

    [Fact]
    public void Writer_RejectsTooSmallDestination()
    {
        Assert.Throws<ArgumentException>(() => PeerMessageWriter.WriteRequest(new byte[16], 0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerMessageWriter.WriteState(new byte[5], PeerMessageKind.Have));
    }

    [Theory]
    [InlineData(0x80000000u)]
    [InlineData(0xFFFFFFFFu)]
    public void NegativeLengthPrefix_IsRejectedBeforeAnyBody(uint length)
    {
        PeerProtocolException error = Reject(Prefix(length));
        Assert.Equal(PeerProtocolError.NegativeLength, error.Reason);
        Assert.Equal("PeerProtocolViolation", error.ErrorId);
    }

    [Theory]
    [InlineData((uint)PeerWireLimits.MaxMessageLength + 1)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(16u * 1024 * 1024)]
    public void OversizedLengthPrefix_IsRejectedBeforeAnyBody(uint length)
    {
        Assert.Equal(PeerProtocolError.MessageTooLong, Reject(Prefix(length)).Reason);
    }

    [Theory]
    [InlineData(0, 1)] // choke with a payload
    [InlineData(2, 4)]
    [InlineData(4, 3)] // have of 3 bytes
    [InlineData(4, 8)]
    [InlineData(6, 11)] // request of 11 bytes
    [InlineData(8, 16)]
    [InlineData(9, 4)] // port
    [InlineData(7, 8)] // piece without a block
    [InlineData(7, 8 + (16 * 1024) + 1)] // piece over 16 KiB
    [InlineData(5, 14)] // bitfield longer than 100 pieces need
    [InlineData(5, 300000)]
    public void LengthThatDoesNotFitTheId_IsRejectedFromTheHeaderAlone(byte id, int payloadLength)
    {
        // Only the 5 header bytes are given: the rejection must not wait for the body.
        PeerProtocolException error = Reject(Prefix((uint)payloadLength + 1, id));
        Assert.Equal(PeerProtocolError.InvalidMessageLength, error.Reason);
        Assert.Contains("payload", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20)] // extension protocol
    [InlineData(13)] // fast extension's suggest: not negotiated, skipped
    [InlineData(10)]
    [InlineData(255)]
    public void UnknownAndExtendedIds_AreSkippedWhenWithinLimits(byte id)
    {
        PeerMessage message = ReadOne(Frame(id, 1, 2, 3));
        Assert.Equal(id == 20 ? PeerMessageKind.Extended : PeerMessageKind.Unknown, message.Kind);
        Assert.Equal(id, message.Id);
        Assert.Equal(new byte[] { 1, 2, 3 }, message.Payload.ToArray());
    }

    [Fact]
    public void UnknownId_OverTheHardCap_IsRejected()
    {
        Assert.Equal(PeerProtocolError.MessageTooLong, Reject(Prefix((uint)PeerWireLimits.MaxMessageLength + 1, 99)).Reason);
    }

    [Fact]
    public void Reader_RejectsBadConstructorArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerMessageReader(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerMessageReader(PeerWireLimits.MaxPieceCount + 1));
    }

    [Fact]
    public void RandomBytes_OnlyEverThrowPeerProtocolException()
    {
        var random = new Random(20240607);
        var reader = new PeerMessageReader(1000);
        byte[] buffer = new byte[4096];
        for (int round = 0; round < 20000; round++)
        {
            int length = random.Next(0, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (round % 3 == 0 && length >= 4)
            {
                // Plausible prefixes reach the id and body checks more often than random ones.
                BinaryPrimitives.WriteInt32BigEndian(buffer, random.Next(0, 64));
                if (length > 4)
                {
                    buffer[4] = (byte)random.Next(0, 22);
                }
            }

            ReadOnlySequence<byte> sequence = round % 2 == 0
                ? new ReadOnlySequence<byte>(buffer, 0, length)
                : SegmentedSequence.Create(buffer[..length], random.Next(1, 8), random.Next(1, 8));
            try
            {
                while (reader.TryRead(sequence, out SequencePosition consumed, out _, out PeerMessage message))
                {
                    long before = sequence.Length;
                    sequence = sequence.Slice(consumed);
                    Assert.True(sequence.Length < before);
                    Assert.True(message.Payload.Length <= PeerWireLimits.MaxMessageLength);
                }
            }
            catch (PeerProtocolException error)
            {
                Assert.NotEqual(PeerProtocolError.None, error.Reason);
            }
        }
    }

    [Fact]
    public void HotPath_AllocatesNothing()
    {
        byte[] wire = new byte[PeerWireLimits.PieceHeaderSize + PeerWireLimits.BlockLength + PeerWireLimits.RequestMessageSize + PeerWireLimits.HaveMessageSize];
        int offset = PeerMessageWriter.WritePiece(wire, 1, 0, new byte[PeerWireLimits.BlockLength]);
        offset += PeerMessageWriter.WriteRequest(wire.AsSpan(offset), 1, 0, PeerWireLimits.BlockLength);
        PeerMessageWriter.WriteHave(wire.AsSpan(offset), 1);
        var validator = new PeerMessageValidator(Pieces, 65536, Pieces * 65536L);
        byte[] output = new byte[64];
        for (int round = 0; round < 10; round++)
        {
            Drain(wire, validator, output); // warm up (JIT)
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 100; round++)
        {
            Drain(wire, validator, output);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0L, allocated);
    }

    private void Drain(byte[] wire, PeerMessageValidator validator, byte[] output)
    {
        var buffer = new ReadOnlySequence<byte>(wire);
        while (_reader.TryRead(buffer, out SequencePosition consumed, out _, out PeerMessage message))
        {
            if (validator.Check(message) != PeerProtocolError.None)
            {
                throw new InvalidOperationException("The message should be valid.");
            }

            buffer = buffer.Slice(consumed);
        }

        PeerMessageWriter.WriteRequest(output, 1, 16384, 16384);
        PeerMessageWriter.WritePieceHeader(output, 1, 0, 16384);
        PeerMessageWriter.WriteHave(output, 3);
    }
}
