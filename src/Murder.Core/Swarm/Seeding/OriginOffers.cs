using System;
using System.Collections.Generic;
using Murder.Core.PeerWire;
using Murder.Core.Swarm.Sessions;

namespace Murder.Core.Swarm.Seeding;

/// <summary>
/// An origin's super-seeding (BEP 16, with several offers per peer): until every piece has left the
/// origin in full once, a peer is told ('have', no bitfield) only of a few pieces nobody else was
/// offered, and of another each time one is delivered to it, so the origin's upload goes to distinct
/// pieces and the peers trade them. Peers asking a plain seed for "pieces nobody holds" can only go
/// by what they see of the swarm: at 1,000 peers the origin sent 1.5 copies before the peers held
/// one. When every piece is out, every peer is told of every piece and the origin seeds as usual.
/// Offers not yet delivered stay within <see cref="OfferBudgetBytes"/>, so pieces arrive one after
/// another rather than all at the end. While pieces are still undelivered and the origin's upload
/// runs dry (their takers are slow or gone), one of them is offered to another peer, so no taker
/// holds the swarm back.
/// </summary>
internal sealed class OriginOffers
{
    /// <summary>The bytes of pieces offered to one peer at a time (at least two pieces): enough to keep its requests flowing.</summary>
    public const int OfferBytes = 1 << 20;

    /// <summary>
    /// The bytes of offered pieces not yet delivered, across all peers (at least a peer's offers).
    /// Offered pieces share the origin's upload, so each takes this long to arrive in full, and a
    /// piece is of use to the other peers only once it has arrived: with a thousand peers each
    /// offered two, every piece arrived at once at the end, and the peers had had nothing to trade.
    /// A trade between swarms: 32 MiB gave N=1,000 x 1 GiB (16 KiB blocks) p99 1.23 against 1.31
    /// at 16 MiB, and 2,000 peers launched within 1 s p99 1.57 against 1.56 (bench/sim/results.md).
    /// </summary>
    public const int OfferBudgetBytes = 32 << 20;

    /// <summary>Below this many 16 KiB requests queued in all, the origin's upload is running dry.</summary>
    public const int IdleQueue = 32;

    /// <summary>A spare offer at most until its peer asks for it (or a while passes): one offer per shortfall, not one per block sent.</summary>
    public static readonly TimeSpan SpareWait = TimeSpan.FromMilliseconds(20);

    private readonly PiecePicker _picker;
    private readonly IReadOnlyList<PeerSession> _sessions;
    private readonly int _pieceCount;
    private readonly int _perPeer;
    private readonly int _idleBlocks;
    private readonly int _budget;
    private readonly List<PeerSession> _unable = new();

    /// <summary>Per piece: offers made and not withdrawn (pending at a peer, or delivered).</summary>
    private readonly int[] _given;

    /// <summary>Pieces delivered in full to some peer, or reported held by one.</summary>
    private readonly Bitfield _out;

    /// <summary>Per piece: the peer it was first delivered to in full.</summary>
    private readonly PeerSession?[] _deliveredTo;

    /// <summary>Pieces neither offered to anyone nor out: where offers come from.</summary>
    private readonly Bitfield _unoffered;

    /// <summary>Offers pending across all peers (kept, not summed: it is read at every 'have' an origin gets).</summary>
    private int _pending;
    private int _cursor;
    private bool _spareExhausted;
    private (PeerSession Session, int Piece, TimeSpan At)? _spare;

    public OriginOffers(PiecePicker picker, IReadOnlyList<PeerSession> sessions, int pieceCount, long pieceLength, int blockLength)
    {
        _picker = picker;
        _sessions = sessions;
        _pieceCount = pieceCount;
        _perPeer = OffersPerPeer(pieceLength);
        _idleBlocks = PiecePicker.InBlocks(IdleQueue, blockLength);
        _budget = (int)Math.Max(_perPeer, OfferBudgetBytes / Math.Max(1, pieceLength));
        _given = new int[pieceCount];
        _deliveredTo = new PeerSession?[pieceCount];
        _out = new Bitfield(pieceCount);
        _unoffered = new Bitfield(pieceCount);
        _unoffered.SetAll();
    }

    /// <summary>Some piece has not left the origin in full yet: peers are told of pieces a few at a time.</summary>
    public bool Active => !_out.AllSet;

    /// <summary>Pieces offered to one peer at a time, for pieces of <paramref name="pieceLength"/> bytes.</summary>
    public static int OffersPerPeer(long pieceLength) => (int)Math.Max(2, (OfferBytes + pieceLength - 1) / Math.Max(1, pieceLength));

    /// <summary>A peer connected: it is offered its first pieces (instead of a bitfield).</summary>
    public void Connected(PeerSession session, TimeSpan now)
    {
        session.Offers = new PeerOffers(_pieceCount);
        _spareExhausted = false;
        Fill(now);
    }

    /// <summary>The peer said it holds this piece (from us or from another peer): the piece is out.</summary>
    public void PeerHas(PeerSession session, int index, TimeSpan now)
    {
        if (session.Offers is not PeerOffers offers)
        {
            return;
        }

        bool freed = Release(offers, index);
        if (MarkOut(index, now) || freed)
        {
            Fill(now); // a 'have' that changes nothing (most of them) offers nothing new
        }
    }

    /// <summary>The peer's bitfield arrived: offers of pieces it holds are void, and those pieces are out.</summary>
    public void PeerBitfield(PeerSession session, TimeSpan now)
    {
        if (session.Offers is not PeerOffers offers)
        {
            return;
        }

        foreach (int index in session.RemoteHave)
        {
            Release(offers, index);
            _out.Set(index);
            _unoffered.Clear(index);
        }

        if (!RevealAllIfOut(now))
        {
            Fill(now);
        }
    }

    /// <summary>The peer asked for a block: a spare offer of that piece to it is answered.</summary>
    public void Requested(PeerSession session, BlockRequest block)
    {
        if (_spare is { } spare && spare.Session == session && spare.Piece == block.Piece)
        {
            _spare = null;
        }
    }

    /// <summary>A block is going out to the peer: a piece offered to it and now sent in full is out.</summary>
    public void Sent(PeerSession session, BlockRequest block, TimeSpan now)
    {
        if (session.Offers is not PeerOffers offers || !offers.Pending.TryGetValue(block.Piece, out int sent))
        {
            return;
        }

        if (++sent < _picker.BlocksIn(block.Piece))
        {
            offers.Pending[block.Piece] = sent;
            return;
        }

        Release(offers, block.Piece);
        _deliveredTo[block.Piece] ??= session;
        offers.LastDelivered = now;
        MarkOut(block.Piece, now);
        Fill(now);
    }

    /// <summary>The peer the piece was first delivered to in full, if any (it may have left since).</summary>
    public PeerSession? DeliveredTo(int piece) => _deliveredTo[piece];

    /// <summary>The peer left: what it was offered and did not get goes to others.</summary>
    public void Gone(PeerSession session, TimeSpan now)
    {
        if (session.Offers is not PeerOffers offers)
        {
            return;
        }

        foreach (int index in offers.Pending.Keys)
        {
            if (--_given[index] == 0 && !_out[index])
            {
                _unoffered.Set(index);
            }
        }

        _pending -= offers.Pending.Count;
        offers.Pending.Clear();
        session.Offers = null;
        _spareExhausted = false;
        if (_spare?.Session == session)
        {
            _spare = null;
        }

        Fill(now);
    }

    /// <summary>
    /// The origin's upload queue holds <paramref name="queuedBlocks"/>: when it is running dry while
    /// pieces are undelivered, one more is offered (to the peer with the fewest offers pending, the
    /// one that took a piece last among equals), a second copy if every piece was offered already.
    /// </summary>
    public void UploadQueue(int queuedBlocks, TimeSpan now)
    {
        if (!Active || _spareExhausted || queuedBlocks >= _idleBlocks || (_spare is { } spare && now - spare.At < SpareWait))
        {
            return;
        }

        PeerSession? best = null;
        foreach (PeerSession session in _sessions)
        {
            if (session.Offers is not PeerOffers offers || session.IsClosed || offers.Pending.Count >= 2 * _perPeer)
            {
                continue;
            }

            if (best is null
                || offers.Pending.Count < best.Offers!.Pending.Count
                || (offers.Pending.Count == best.Offers!.Pending.Count && offers.LastDelivered > best.Offers.LastDelivered))
            {
                best = session;
            }
        }

        int piece = best is null ? -1 : LeastGiven(best);
        if (piece < 0)
        {
            // Nothing to offer until a peer comes or goes or a piece is delivered.
            _spareExhausted = true;
            return;
        }

        Offer(best!, piece, now);
        _spare = (best!, piece, now);
    }

    /// <summary>
    /// Offers pieces nobody was offered while the budget allows: each to the peer with the fewest
    /// offers pending, the one offered to longest ago among equals, so the pieces start from many peers.
    /// </summary>
    private void Fill(TimeSpan now)
    {
        if (!Active)
        {
            return;
        }

        _unable.Clear();
        while (_pending < _budget)
        {
            PeerSession? best = null;
            foreach (PeerSession session in _sessions)
            {
                if (session.Offers is not PeerOffers offers || session.IsClosed || offers.Pending.Count >= _perPeer || _unable.Contains(session))
                {
                    continue;
                }

                if (best is null
                    || offers.Pending.Count < best.Offers!.Pending.Count
                    || (offers.Pending.Count == best.Offers!.Pending.Count && offers.LastOffered < best.Offers.LastOffered))
                {
                    best = session;
                }
            }

            if (best is null)
            {
                return;
            }

            int piece = NextUnoffered(best, best.Offers!);
            if (piece < 0)
            {
                _unable.Add(best); // holds or was told of every piece nobody was offered
                continue;
            }

            Offer(best, piece, now);
        }
    }

    /// <summary>The next piece nobody was offered that this peer neither holds nor was told of, from a cursor that goes round.</summary>
    private int NextUnoffered(PeerSession session, PeerOffers offers)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            int from = pass == 0 ? _cursor : 0;
            for (int index = _unoffered.NextSet(from); index >= 0 && (pass == 0 || index < _cursor); index = _unoffered.NextSet(index + 1))
            {
                if (!session.RemoteHave[index] && !offers.Revealed[index])
                {
                    _cursor = index + 1 < _pieceCount ? index + 1 : 0;
                    return index;
                }
            }
        }

        return -1;
    }

    /// <summary>The undelivered piece offered least often that this peer neither holds nor was told of.</summary>
    private int LeastGiven(PeerSession session)
    {
        int best = -1;
        for (int index = _out.NextMissing(0); index >= 0; index = _out.NextMissing(index + 1))
        {
            if (!session.RemoteHave[index] && !session.Offers!.Revealed[index] && (best < 0 || _given[index] < _given[best]))
            {
                best = index;
            }
        }

        return best;
    }

    private void Offer(PeerSession session, int piece, TimeSpan now)
    {
        PeerOffers offers = session.Offers!;
        _given[piece]++;
        _unoffered.Clear(piece);
        offers.Pending[piece] = 0;
        offers.LastOffered = now;
        _pending++;
        if (offers.Revealed.Set(piece))
        {
            session.Send(new OutgoingMessage(PeerMessageKind.Have, piece), now);
        }
    }

    private bool Release(PeerOffers offers, int piece)
    {
        if (!offers.Pending.Remove(piece))
        {
            return false;
        }

        _pending--;
        return true;
    }

    /// <summary>The piece is out; true when it was not before.</summary>
    private bool MarkOut(int index, TimeSpan now)
    {
        if (_out.Set(index))
        {
            _unoffered.Clear(index);
            _spareExhausted = false;
            if (_spare?.Piece == index)
            {
                _spare = null;
            }

            RevealAllIfOut(now);
            return true;
        }

        return false;
    }

    /// <summary>Every piece is out: each peer is told of every piece it was not told of (as if it had had our bitfield), and offers end.</summary>
    private bool RevealAllIfOut(TimeSpan now)
    {
        if (!_out.AllSet)
        {
            return false;
        }

        foreach (PeerSession session in _sessions)
        {
            if (session.Offers is not PeerOffers offers)
            {
                continue;
            }

            for (int index = 0; index < _pieceCount; index++)
            {
                if (!offers.Revealed[index])
                {
                    // Pieces it holds too: a peer must see a seed (all set) to treat it as one.
                    session.Send(new OutgoingMessage(PeerMessageKind.Have, index), now);
                }
            }

            _pending -= offers.Pending.Count;
            session.Offers = null;
        }

        return true;
    }
}
