using System;
using System.Buffers;
using System.Collections.Generic;

namespace Murder.Core.Swarm;

/// <summary>
/// A piece being downloaded: which blocks are requested (and how often, for endgame), which arrived,
/// the pooled buffer they are assembled in, and who sent them (for banning on a hash failure).
/// Verified data is written to disk only as a whole piece, so nothing unverified ever reaches it.
/// </summary>
internal sealed class PieceProgress
{
    private readonly byte[] _requestCount;
    private readonly bool[] _received;

    /// <param name="index">The piece index.</param>
    /// <param name="size">The piece's size in bytes.</param>
    /// <param name="blockLength">The block length.</param>
    /// <param name="assemble">False where blocks are events without bytes (the simulator): no buffer is rented.</param>
    public PieceProgress(int index, int size, int blockLength, bool assemble = true)
    {
        Index = index;
        Size = size;
        BlockLength = blockLength;
        BlockCount = (size + blockLength - 1) / blockLength;
        _requestCount = new byte[BlockCount];
        _received = new bool[BlockCount];
        OpenBlocks = BlockCount;
        Buffer = assemble ? ArrayPool<byte>.Shared.Rent(size) : Array.Empty<byte>();
    }

    public int Index { get; }

    public int Size { get; }

    public int BlockLength { get; }

    public int BlockCount { get; }

    public byte[] Buffer { get; private set; }

    public int ReceivedCount { get; private set; }

    /// <summary>Blocks neither received nor requested: the picker looks only at pieces with some.</summary>
    public int OpenBlocks { get; private set; }

    public bool IsComplete => ReceivedCount == BlockCount;

    /// <summary>Peers that sent at least one block of this piece.</summary>
    public HashSet<object> Contributors { get; } = new();

    public int BlockSize(int block) => Math.Min(BlockLength, Size - (block * BlockLength));

    public bool IsReceived(int block) => _received[block];

    public int RequestCount(int block) => _requestCount[block];

    public void MarkRequested(int block)
    {
        if (_requestCount[block] < byte.MaxValue)
        {
            if (_requestCount[block] == 0 && !_received[block])
            {
                OpenBlocks--;
            }

            _requestCount[block]++;
        }
    }

    public void ReleaseRequest(int block)
    {
        if (_requestCount[block] > 0)
        {
            _requestCount[block]--;
            if (_requestCount[block] == 0 && !_received[block])
            {
                OpenBlocks++;
            }
        }
    }

    /// <summary>Copies a block in; false when it was already here (an endgame duplicate).</summary>
    public bool Receive(int block, ReadOnlySpan<byte> data, object sender)
    {
        if (_received[block])
        {
            return false;
        }

        if (Buffer.Length > 0)
        {
            data.CopyTo(Buffer.AsSpan(block * BlockLength));
        }

        if (_requestCount[block] == 0)
        {
            OpenBlocks--;
        }

        _received[block] = true;
        ReceivedCount++;
        Contributors.Add(sender);
        return true;
    }

    /// <summary>Forgets every block (after a hash failure) so the piece is fetched again.</summary>
    public void Reset()
    {
        Array.Clear(_received);
        Array.Clear(_requestCount);
        ReceivedCount = 0;
        OpenBlocks = BlockCount;
        Contributors.Clear();
    }

    public void ReturnBuffer()
    {
        if (Buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = Array.Empty<byte>();
        }
    }
}
