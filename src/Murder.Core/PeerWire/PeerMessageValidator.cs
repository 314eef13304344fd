using System;
using System.Buffers;
using Murder.Core.MetaInfo;

namespace Murder.Core.PeerWire;

/// <summary>
/// Checks framed messages against one torrent: piece indexes in range, bitfields of the exact
/// size with clear spare bits, blocks of 1 to 16 KiB at 16 KiB-aligned offsets inside their
/// piece. <see cref="Check(in PeerMessage)"/> allocates nothing; <see cref="Validate(in PeerMessage)"/>
/// throws with a message that names the reason. Whether a piece message was actually requested
/// is the engine's to check (<see cref="PeerProtocolError.UnrequestedBlock"/>).
/// </summary>
public sealed class PeerMessageValidator
{
    /// <summary>Creates a validator for a torrent's geometry.</summary>
    public PeerMessageValidator(int pieceCount, int pieceLength, long totalLength, int blockLength = PeerWireLimits.BlockLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pieceCount, PeerWireLimits.MaxPieceCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockLength);
        long minimum = ((long)(pieceCount - 1) * pieceLength) + 1;
        long maximum = (long)pieceCount * pieceLength;
        if (totalLength < minimum || totalLength > maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(totalLength), totalLength, $"{pieceCount} pieces of {pieceLength} bytes hold {minimum} to {maximum} bytes.");
        }

        PieceCount = pieceCount;
        PieceLength = pieceLength;
        TotalLength = totalLength;
        BlockLength = blockLength;
        LastPieceLength = (int)(totalLength - ((long)(pieceCount - 1) * pieceLength));
    }

    /// <summary>A validator for a torrent.</summary>
    public static PeerMessageValidator For(TorrentMetaInfo torrent) => new(torrent.PieceCount, torrent.PieceLength, torrent.TotalLength);

    /// <summary>How many pieces there are.</summary>
    public int PieceCount { get; }

    /// <summary>Bytes per piece (the last may be shorter).</summary>
    public int PieceLength { get; }

    /// <summary>The bytes of the whole torrent.</summary>
    public long TotalLength { get; }

    /// <summary>The block size: the longest request and the alignment of every offset.</summary>
    public int BlockLength { get; }

    /// <summary>The length of the last piece.</summary>
    public int LastPieceLength { get; }

    /// <summary>The length of piece <paramref name="index"/> (which must be in range).</summary>
    public int GetPieceSize(int index) => index == PieceCount - 1 ? LastPieceLength : PieceLength;

    /// <summary>Checks a piece index.</summary>
    public PeerProtocolError CheckPieceIndex(int index) =>
        (uint)index < (uint)PieceCount ? PeerProtocolError.None : PeerProtocolError.PieceIndexOutOfRange;

    /// <summary>Checks a block (of a request, cancel or piece message).</summary>
    public PeerProtocolError CheckBlock(int index, int begin, int length)
    {
        if ((uint)index >= (uint)PieceCount)
        {
            return PeerProtocolError.PieceIndexOutOfRange;
        }

        if (length <= 0 || length > BlockLength)
        {
            return PeerProtocolError.InvalidBlockLength;
        }

        if (begin < 0 || begin % BlockLength != 0)
        {
            return PeerProtocolError.BlockMisaligned;
        }

        return (long)begin + length <= GetPieceSize(index) ? PeerProtocolError.None : PeerProtocolError.BlockOutOfRange;
    }

    /// <summary>Checks a bitfield's payload.</summary>
    public PeerProtocolError CheckBitfield(ReadOnlySequence<byte> bitfield)
    {
        if (bitfield.Length != PeerWireLimits.BitfieldByteCount(PieceCount))
        {
            return PeerProtocolError.BitfieldWrongSize;
        }

        if (bitfield.Length == 0)
        {
            return PeerProtocolError.None;
        }

        ReadOnlySequence<byte> last = bitfield.Slice(bitfield.Length - 1);
        return Bitfield.SpareBitsClear(last.FirstSpan, PieceCount - (int)((bitfield.Length - 1) * 8))
            ? PeerProtocolError.None
            : PeerProtocolError.BitfieldSpareBitsSet;
    }

    /// <summary>Checks a message; <see cref="PeerProtocolError.None"/> when it is acceptable. Allocates nothing.</summary>
    public PeerProtocolError Check(in PeerMessage message) => message.Kind switch
    {
        PeerMessageKind.Have => CheckPieceIndex(message.Index),
        PeerMessageKind.Bitfield => CheckBitfield(message.Payload),
        PeerMessageKind.Request or PeerMessageKind.Cancel or PeerMessageKind.Piece => CheckBlock(message.Index, message.Begin, message.Length),
        _ => PeerProtocolError.None,
    };

    /// <summary>Checks a message and throws when it is not acceptable.</summary>
    /// <exception cref="PeerProtocolException">The message breaks the torrent's bounds; drop the connection.</exception>
    public void Validate(in PeerMessage message)
    {
        PeerProtocolError error = Check(message);
        if (error != PeerProtocolError.None)
        {
            throw new PeerProtocolException(error, Explain(error, message));
        }
    }

    private string Explain(PeerProtocolError error, in PeerMessage message)
    {
        string what = message.ToString();
        return error switch
        {
            PeerProtocolError.PieceIndexOutOfRange => $"The peer sent '{what}', but the torrent's pieces are 0 to {PieceCount - 1}.",
            PeerProtocolError.BitfieldWrongSize => $"The peer sent a bitfield of {message.Payload.Length} bytes; {PieceCount} pieces need exactly {PeerWireLimits.BitfieldByteCount(PieceCount)}.",
            PeerProtocolError.BitfieldSpareBitsSet => $"The peer's bitfield has bits set after the last piece ({PieceCount - 1}).",
            PeerProtocolError.InvalidBlockLength => $"The peer sent '{what}'; a block is 1 to {BlockLength} bytes.",
            PeerProtocolError.BlockMisaligned => $"The peer sent '{what}'; a block's offset must be a multiple of {BlockLength}.",
            PeerProtocolError.BlockOutOfRange => $"The peer sent '{what}', which runs past the end of piece {message.Index} ({GetPieceSize(message.Index)} bytes).",
            _ => $"The peer sent an invalid message '{what}' ({error}).",
        };
    }
}
