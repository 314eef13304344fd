using System;
using System.Collections.Generic;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;

namespace Murder.Core.Swarm;

/// <summary>
/// Decides which blocks to request from which peer. Policy, in order: finish pieces already started
/// (fewer partial pieces, earlier 'have's for the swarm); then a random piece while we have none (so
/// new peers quickly hold something distinct to trade); then the rarest piece the peer has, ties
/// broken at random; and when every missing piece is started and every missing block is already
/// requested (the swarm-wide condition, not merely "this peer has nothing new"), endgame: ask a second peer
/// for blocks still outstanding, but only once the peer's own queue has drained to a few requests
/// (a deep endgame re-downloads whatever is in flight: 10-15% of a large swarm's bytes), and only
/// for the blocks the caller says are stuck where they were asked (see RequestScheduler). Not
/// thread-safe: the swarm calls it under its lock.
/// </summary>
internal sealed class PiecePicker
{
    private const int MaxDuplicateRequests = 2;

    /// <summary>In endgame a peer gets duplicate requests only while it has fewer than this many 16 KiB requests outstanding.</summary>
    internal const int EndgameQueue = 4;
    private readonly TorrentMetaInfo _torrent;
    private readonly int _blockLength;
    private readonly int[] _availability;
    private readonly Dictionary<int, PieceProgress> _inProgress = new();
    private readonly HashSet<int> _verifying = new();

    /// <summary>Pieces in progress with a block neither received nor requested (step 1 of a pick looks only at these).</summary>
    private readonly HashSet<int> _open = new();
    private readonly List<int> _openScratch = new();

    /// <summary>Pieces neither had, in progress nor being verified: where new pieces are chosen, a word at a time.</summary>
    private readonly Bitfield _unstarted;
    private readonly Random _random;
    private readonly bool _assemble;
    private readonly int _endgameQueue;

    public PiecePicker(TorrentMetaInfo torrent, Bitfield have, int blockLength, Random random, bool assemble = true)
    {
        _assemble = assemble;
        _torrent = torrent;
        Have = have;
        _blockLength = blockLength;
        _random = random;
        _endgameQueue = InBlocks(EndgameQueue, blockLength);
        _availability = new int[torrent.PieceCount];
        _unstarted = new Bitfield(torrent.PieceCount);
        _unstarted.SetAll();
        foreach (int index in have)
        {
            _unstarted.Clear(index);
        }
    }

    /// <summary>Verified pieces.</summary>
    public Bitfield Have { get; }

    public bool IsComplete => Have.AllSet;

    /// <summary>Pieces with blocks in flight or assembled.</summary>
    public int PartialPieces => _inProgress.Count;

    public void AddAvailability(Bitfield peerHave)
    {
        foreach (int index in peerHave)
        {
            _availability[index]++;
        }
    }

    public void AddAvailability(int index) => _availability[index]++;

    public void RemoveAvailability(Bitfield peerHave)
    {
        foreach (int index in peerHave)
        {
            _availability[index]--;
        }
    }

    /// <summary>Whether the peer has any piece we still need.</summary>
    public bool IsInteresting(Bitfield peerHave)
    {
        if (Have.AllSet)
        {
            return false;
        }

        // A piece not had and not being verified is either unstarted or in progress: a word scan for
        // the first, then the few pieces in progress (a walk of every set bit is quadratic over a download).
        if (peerHave.NextSetInBoth(_unstarted, 0) >= 0)
        {
            return true;
        }

        foreach (int index in _inProgress.Keys)
        {
            if (peerHave[index])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds up to <paramref name="max"/> requests for this peer to <paramref name="output"/>. New
    /// pieces are taken only among those held by at most <paramref name="maxAvailability"/> peers:
    /// a seed is asked only for pieces no downloading peer has yet, so the seeder's upload goes to
    /// distinct pieces and the peers trade the rest.
    /// </summary>
    /// <remarks>
    /// <paramref name="duplicable"/>, when given, limits endgame duplicates to those blocks.
    /// <paramref name="stripe"/> (this peer's rank among the downloading peers it sees, and their
    /// count) applies to asking a seed: new pieces are taken first among those whose index is the
    /// rank modulo the count. Peers that each ask the seeder for pieces nobody holds yet otherwise
    /// pick the same ones at the same time (more so as such pieces run out), and the seeder sends
    /// them twice or more: 1.39 x F at N=16. With stripes each piece goes out once, to its owner,
    /// and the others trade it; a peer whose stripe is exhausted takes any.
    /// </remarks>
    public void Pick(Bitfield peerHave, int max, IReadOnlyCollection<BlockRequest> peerOutstanding, List<BlockRequest> output, int maxAvailability = int.MaxValue, (int Rank, int Count) stripe = default, IReadOnlySet<BlockRequest>? duplicable = null)
    {
        int wanted = output.Count + max;

        // 1. Unrequested blocks of pieces already started (only pieces with such blocks are looked at:
        // with 64 connections a thousand pieces may be in flight, most of them fully requested).
        _openScratch.Clear();
        foreach (int index in _open)
        {
            if (peerHave[index] && _availability[index] <= maxAvailability)
            {
                _openScratch.Add(index);
            }
        }

        foreach (int index in _openScratch)
        {
            if (output.Count >= wanted)
            {
                return;
            }

            TakeBlocks(_inProgress[index], wanted, output, duplicatesOf: null);
        }

        // 2. New pieces: random while we have nothing, rarest first after that; our stripe first.
        while (output.Count < wanted)
        {
            int next = ChooseNewPiece(peerHave, maxAvailability, stripe);
            if (next < 0 && stripe.Count > 1)
            {
                next = ChooseNewPiece(peerHave, maxAvailability);
            }

            if (next < 0)
            {
                break;
            }

            var progress = new PieceProgress(next, _torrent.GetPieceSize(next), _blockLength, _assemble);
            _inProgress.Add(next, progress);
            _unstarted.Clear(next);
            TakeBlocks(progress, wanted, output, duplicatesOf: null);
            Track(progress);
        }

        // 3. Endgame: every missing piece is started and every missing block is requested somewhere;
        // ask this peer too, once it is nearly idle. Only then: a peer that merely has nothing new for
        // us mid-download (all it holds is requested elsewhere) gets no duplicates, or each of a large
        // swarm's idle connections re-downloads blocks in flight (11% of N*F at N=32).
        wanted = Math.Min(wanted, output.Count + _endgameQueue - peerOutstanding.Count);
        if (output.Count < wanted && IsEndgame)
        {
            foreach (PieceProgress progress in _inProgress.Values)
            {
                if (output.Count >= wanted)
                {
                    return;
                }

                if (peerHave[progress.Index] && !progress.IsComplete)
                {
                    TakeBlocks(progress, wanted, output, duplicatesOf: peerOutstanding, duplicable);
                }
            }
        }
    }

    /// <summary>
    /// Stores a block. Returns the piece when this block completes it (it then leaves the picker until
    /// <see cref="PieceVerified"/> or <see cref="PieceFailed"/>); null otherwise. Blocks of pieces
    /// not in progress (already done, or never asked for) are ignored: <paramref name="accepted"/> is false.
    /// </summary>
    public PieceProgress? BlockReceived(BlockRequest block, ReadOnlySpan<byte> data, object sender, out bool accepted)
    {
        accepted = false;
        if (!_inProgress.TryGetValue(block.Piece, out PieceProgress? progress) || block.Begin % _blockLength != 0)
        {
            return null;
        }

        int blockIndex = block.Begin / _blockLength;
        if (blockIndex >= progress.BlockCount || progress.BlockSize(blockIndex) != data.Length)
        {
            return null;
        }

        accepted = progress.Receive(blockIndex, data, sender);
        progress.ReleaseRequest(blockIndex);
        if (!progress.IsComplete)
        {
            Track(progress);
            return null;
        }

        _inProgress.Remove(block.Piece);
        _open.Remove(block.Piece);
        _verifying.Add(block.Piece);
        return progress;
    }

    /// <summary>How many requests for this block are outstanding (0 when its piece is not in progress).</summary>
    public int RequestCount(BlockRequest block) =>
        _inProgress.TryGetValue(block.Piece, out PieceProgress? progress) && block.Begin % _blockLength == 0 && block.Begin / _blockLength < progress.BlockCount
            ? progress.RequestCount(block.Begin / _blockLength)
            : 0;

    /// <summary>A request that will not be answered (choke, disconnect, cancel).</summary>
    public void ReleaseRequest(BlockRequest block)
    {
        if (_inProgress.TryGetValue(block.Piece, out PieceProgress? progress))
        {
            progress.ReleaseRequest(block.Begin / _blockLength);
            Track(progress);
        }
    }

    public void PieceVerified(PieceProgress progress)
    {
        _verifying.Remove(progress.Index);
        Have.Set(progress.Index);
        progress.ReturnBuffer();
    }

    public void PieceFailed(PieceProgress progress)
    {
        _verifying.Remove(progress.Index);
        _unstarted.Set(progress.Index);
        progress.ReturnBuffer();
    }

    /// <summary>
    /// A count of 16 KiB wire requests as a count of blocks of <paramref name="blockLength"/> (at
    /// least one): queue sizes mean bytes in flight, whatever the block size (the simulator's may be larger).
    /// </summary>
    public static int InBlocks(int wireRequests, int blockLength) =>
        blockLength <= PeerWireLimits.BlockLength ? wireRequests : (int)Math.Max(1, (long)wireRequests * PeerWireLimits.BlockLength / blockLength);

    /// <summary>The number of blocks in a piece.</summary>
    public int BlocksIn(int index) => (_torrent.GetPieceSize(index) + _blockLength - 1) / _blockLength;

    /// <summary>Whether a piece has a block nobody is asked for yet (unstarted, or in progress with one unrequested).</summary>
    public bool IsRequestable(int index)
    {
        if (_unstarted[index])
        {
            return true;
        }

        if (!_inProgress.TryGetValue(index, out PieceProgress? progress))
        {
            return false;
        }

        return progress.OpenBlocks > 0;
    }

    /// <summary>Whether a block is still wanted (not yet received and its piece not done).</summary>
    public bool IsWanted(BlockRequest block) =>
        _inProgress.TryGetValue(block.Piece, out PieceProgress? progress) && !progress.IsReceived(block.Begin / _blockLength);

    public void ReturnAllBuffers()
    {
        foreach (PieceProgress progress in _inProgress.Values)
        {
            progress.ReturnBuffer();
            _unstarted.Set(progress.Index);
        }

        _inProgress.Clear();
        _open.Clear();
    }

    private void TakeBlocks(PieceProgress progress, int wanted, List<BlockRequest> output, IReadOnlyCollection<BlockRequest>? duplicatesOf, IReadOnlySet<BlockRequest>? duplicable = null)
    {
        for (int block = 0; block < progress.BlockCount && output.Count < wanted; block++)
        {
            if (progress.IsReceived(block))
            {
                continue;
            }

            var request = new BlockRequest(progress.Index, block * _blockLength, progress.BlockSize(block));
            int requested = progress.RequestCount(block);
            bool take = duplicatesOf is null
                ? requested == 0
                : requested < MaxDuplicateRequests && (duplicable is null || duplicable.Contains(request)) && !Contains(duplicatesOf, request) && !output.Contains(request);
            if (take)
            {
                progress.MarkRequested(block);
                output.Add(request);
            }
        }

        Track(progress);
    }

    /// <summary>Keeps <see cref="_open"/> in step with a piece's open blocks.</summary>
    private void Track(PieceProgress progress)
    {
        if (progress.OpenBlocks > 0 && _inProgress.ContainsKey(progress.Index))
        {
            _open.Add(progress.Index);
        }
        else
        {
            _open.Remove(progress.Index);
        }
    }

    /// <summary>Every missing piece is in progress or being verified, and every missing block is requested.</summary>
    internal bool IsEndgame =>
        _inProgress.Count > 0
        && Have.CountSet + _inProgress.Count + _verifying.Count >= _torrent.PieceCount
        && !HasUnrequestedBlocks();

    private bool HasUnrequestedBlocks() => _open.Count > 0;

    private static bool Contains(IReadOnlyCollection<BlockRequest> requests, BlockRequest request)
    {
        foreach (BlockRequest existing in requests)
        {
            if (existing == request)
            {
                return true;
            }
        }

        return false;
    }

    private int ChooseNewPiece(Bitfield peerHave, int maxAvailability, (int Rank, int Count) stripe = default)
    {
        // The pieces first, first + stride, ... (every piece without a stripe), from a random one on,
        // wrapping around; only pieces both unstarted and held by the peer are looked at (word by word).
        int count = _torrent.PieceCount;
        int stride = Math.Max(1, stripe.Count);
        int first = stripe.Rank % stride;
        int candidates = first < count ? ((count - 1 - first) / stride) + 1 : 0;
        if (candidates == 0)
        {
            return -1;
        }

        int start = first + (_random.Next(candidates) * stride);
        bool randomFirst = Have.NoneSet && _verifying.Count == 0;
        int best = -1;
        int bestAvailability = int.MaxValue;
        for (int pass = 0; pass < 2; pass++)
        {
            int from = pass == 0 ? start : 0;
            int to = pass == 0 ? count : start;
            for (int index = peerHave.NextSetInBoth(_unstarted, from); index >= 0 && index < to; index = peerHave.NextSetInBoth(_unstarted, index + 1))
            {
                if ((stride > 1 && index % stride != first) || _availability[index] > maxAvailability)
                {
                    continue;
                }

                if (randomFirst)
                {
                    return index;
                }

                if (_availability[index] < bestAvailability)
                {
                    best = index;
                    bestAvailability = _availability[index];
                    if (bestAvailability <= 1)
                    {
                        return best;
                    }
                }
            }
        }

        return best;
    }
}
