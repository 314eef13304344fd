using System;
using System.Buffers;
using Murder.Core.PeerWire;
using Xunit;

namespace Murder.Core.Tests.PeerWire;

public sealed class PeerMessageValidatorTests
{
    // 10 pieces of 64 KiB, the last one 20,000 bytes: 9 * 65536 + 20000.
    private const int PieceLength = 65536;
    private const long Total = (9L * PieceLength) + 20000;
    private readonly PeerMessageValidator _validator = new(10, PieceLength, Total);
    private readonly PeerMessageReader _reader = new(10);

    private PeerMessage Read(byte[] wire)
    {
        Assert.True(_reader.TryRead(new ReadOnlySequence<byte>(wire), out _, out _, out PeerMessage message));
        return message;
    }

    private PeerMessage Request(int index, int begin, int length)
    {
        byte[] wire = new byte[PeerWireLimits.RequestMessageSize];
        PeerMessageWriter.WriteRequest(wire, index, begin, length);
        return Read(wire);
    }

    private PeerMessage Cancel(int index, int begin, int length)
    {
        byte[] wire = new byte[PeerWireLimits.RequestMessageSize];
        PeerMessageWriter.WriteCancel(wire, index, begin, length);
        return Read(wire);
    }

    private PeerMessage Piece(int index, int begin, int length)
    {
        byte[] wire = new byte[PeerWireLimits.PieceHeaderSize + length];
        PeerMessageWriter.WritePiece(wire, index, begin, new byte[length]);
        return Read(wire);
    }

    private PeerMessage Have(int index)
    {
        byte[] wire = new byte[PeerWireLimits.HaveMessageSize];
        PeerMessageWriter.WriteHave(wire, index);
        return Read(wire);
    }

    private PeerMessage BitfieldMessage(params byte[] payload)
    {
        byte[] wire = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(wire, 1 + payload.Length);
        wire[4] = 5;
        payload.CopyTo(wire, 5);
        return Read(wire);
    }

    private void AssertRejected(PeerMessage message, PeerProtocolError reason)
    {
        Assert.Equal(reason, _validator.Check(message));
        PeerProtocolException error = Assert.Throws<PeerProtocolException>(() => _validator.Validate(message));
        Assert.Equal(reason, error.Reason);
        Assert.Equal("PeerProtocolViolation", error.ErrorId);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Geometry_LastPieceIsShorter()
    {
        Assert.Equal(PieceLength, _validator.GetPieceSize(0));
        Assert.Equal(20000, _validator.GetPieceSize(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerMessageValidator(10, PieceLength, 9L * PieceLength));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerMessageValidator(10, PieceLength, (10L * PieceLength) + 1));
    }

    [Theory]
    [InlineData(0, 0, 16384)]
    [InlineData(0, 49152, 16384)]
    [InlineData(9, 16384, 20000 - 16384)] // the last block of the short last piece
    [InlineData(3, 16384, 1)]
    public void ValidBlocks_Pass(int index, int begin, int length)
    {
        _validator.Validate(Request(index, begin, length));
        _validator.Validate(Cancel(index, begin, length));
        _validator.Validate(Piece(index, begin, length));
    }

    [Theory]
    [InlineData(10, 0, 16384, PeerProtocolError.PieceIndexOutOfRange)]
    [InlineData(-1, 0, 16384, PeerProtocolError.PieceIndexOutOfRange)]
    [InlineData(int.MaxValue, 0, 16384, PeerProtocolError.PieceIndexOutOfRange)]
    [InlineData(0, 0, 16385, PeerProtocolError.InvalidBlockLength)]
    [InlineData(0, 0, 0, PeerProtocolError.InvalidBlockLength)]
    [InlineData(0, 0, -5, PeerProtocolError.InvalidBlockLength)]
    [InlineData(0, 1, 16384, PeerProtocolError.BlockMisaligned)]
    [InlineData(0, 8192, 8192, PeerProtocolError.BlockMisaligned)]
    [InlineData(0, -16384, 16384, PeerProtocolError.BlockMisaligned)]
    [InlineData(0, 65536, 16384, PeerProtocolError.BlockOutOfRange)]
    [InlineData(9, 16384, 16384, PeerProtocolError.BlockOutOfRange)] // past the end of the short last piece
    [InlineData(0, 2147467264, 16384, PeerProtocolError.BlockOutOfRange)] // begin + length overflows int
    public void BadRequestsAndCancels_AreRejectedWithTheReason(int index, int begin, int length, PeerProtocolError reason)
    {
        AssertRejected(Request(index, begin, length), reason);
        AssertRejected(Cancel(index, begin, length), reason);
    }

    [Theory]
    [InlineData(10, 0, 100, PeerProtocolError.PieceIndexOutOfRange)]
    [InlineData(0, 100, 100, PeerProtocolError.BlockMisaligned)]
    [InlineData(9, 16384, 5000, PeerProtocolError.BlockOutOfRange)]
    public void BadPieces_AreRejected(int index, int begin, int length, PeerProtocolError reason)
    {
        AssertRejected(Piece(index, begin, length), reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void HaveInRange_Passes(int index) => _validator.Validate(Have(index));

    [Theory]
    [InlineData(10)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void HaveOutOfRange_IsRejected(int index) => AssertRejected(Have(index), PeerProtocolError.PieceIndexOutOfRange);

    [Fact]
    public void Bitfield_ExactSizeWithClearSpareBits_Passes() => _validator.Validate(BitfieldMessage(0xFF, 0xC0));

    [Fact]
    public void Bitfield_TooShort_IsRejected() => AssertRejected(BitfieldMessage(0xFF), PeerProtocolError.BitfieldWrongSize);

    [Fact]
    public void Bitfield_Empty_IsRejected() => AssertRejected(BitfieldMessage(), PeerProtocolError.BitfieldWrongSize);

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x01)]
    [InlineData(0xFF)]
    public void Bitfield_SpareBitsSet_IsRejected(byte last) => AssertRejected(BitfieldMessage(0xFF, last), PeerProtocolError.BitfieldSpareBitsSet);

    [Fact]
    public void OtherMessages_AlwaysPass()
    {
        Assert.Equal(PeerProtocolError.None, _validator.Check(PeerMessage.KeepAlive));
        byte[] wire = new byte[5];
        PeerMessageWriter.WriteUnchoke(wire);
        Assert.Equal(PeerProtocolError.None, _validator.Check(Read(wire)));
    }
}
