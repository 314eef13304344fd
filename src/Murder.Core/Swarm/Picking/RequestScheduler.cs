using System;
using System.Collections.Generic;
using Murder.Core.PeerWire;
using Murder.Core.Swarm.Sessions;

namespace Murder.Core.Swarm.Picking;

/// <summary>
/// What to ask each peer for and when: interest, request pipelining (a queue sized by the peer's
/// rate, topped up in batches), the seed's stripes, withdrawing requests a choke or a departure
/// leaves unanswered, and cancelling endgame duplicates. The choice of blocks is the
/// <see cref="PiecePicker"/>'s.
/// </summary>
internal sealed class RequestScheduler
{
    /// <summary>A connection's requests are topped up once a 1/this of its queue is free.</summary>
    public const int RequestBatchDivisor = 4;

    private readonly PiecePicker _picker;
    private readonly IReadOnlyList<PeerSession> _sessions;
    private readonly SwarmSettings _settings;
    private readonly byte[] _peerId;
    private readonly int _blockLength;
    private readonly List<BlockRequest> _scratch = new();
    private readonly HashSet<BlockRequest> _stuck = new();

    public RequestScheduler(PiecePicker picker, IReadOnlyList<PeerSession> sessions, SwarmSettings settings, byte[] peerId, int blockLength)
    {
        _picker = picker;
        _sessions = sessions;
        _settings = settings;
        _peerId = peerId;
        _blockLength = blockLength;
    }

    /// <summary>Tells the peer whether it has anything we need (when that changed), then requests.</summary>
    public void UpdateInterest(PeerSession session, TimeSpan now)
    {
        UpdateInterestOnly(session, now);
        RequestMore(session, now);
    }

    /// <summary>
    /// Tells the peer whether it has anything we need, without requesting: after one of our pieces
    /// is verified nothing new has become requestable, and asking every peer's picker again then
    /// was most of the engine's time (a full scan per peer per piece).
    /// </summary>
    public void UpdateInterestOnly(PeerSession session, TimeSpan now)
    {
        bool interesting = _picker.IsInteresting(session.RemoteHave);
        if (interesting != session.AmInterested)
        {
            session.AmInterested = interesting;
            session.Send(new OutgoingMessage(interesting ? PeerMessageKind.Interested : PeerMessageKind.NotInterested), now);
        }
    }

    /// <summary>Tops up the peer's requests when at least a batch is free.</summary>
    public void RequestMore(PeerSession session, TimeSpan now) => RequestMore(session, now, duplicable: null);

    /// <summary>
    /// In endgame, after a block arrives: the idle connections are asked for blocks stuck at
    /// connections gone quiet (see <see cref="FindStuckBlocks"/>), as soon as those are stuck, not
    /// only when the idle connection next hears something.
    /// </summary>
    public void RequestEndgameDuplicates(TimeSpan now)
    {
        if (!_picker.IsEndgame || FindStuckBlocks(now).Count == 0)
        {
            return;
        }

        foreach (PeerSession session in _sessions)
        {
            if (session.Outstanding.Count == 0)
            {
                RequestMore(session, now, _stuck);
            }
        }
    }

    private void RequestMore(PeerSession session, TimeSpan now, HashSet<BlockRequest>? duplicable)
    {
        if (session.PeerChoking || !session.AmInterested || session.IsClosed)
        {
            return;
        }

        // Requests go out in batches of a quarter of the queue, not one per block received: the
        // sender then gets several in one segment and answers them with one write, and both sides
        // wake once per batch instead of once per block.
        int depth = QueueDepth(session);
        int room = depth - session.Outstanding.Count;
        if (room <= 0 || (room < Math.Max(1, depth / RequestBatchDivisor) && session.Outstanding.Count > 0))
        {
            return;
        }

        _scratch.Clear();
        if (session.Outstanding.Count == 0)
        {
            session.LastDeliveryAt = now;
        }

        if (duplicable is null && _picker.IsEndgame)
        {
            duplicable = FindStuckBlocks(now);
        }

        if (session.RemoteHave.AllSet)
        {
            // With one seed in view (the origin, as far as we can tell) it is asked only for pieces
            // no downloading peer holds, so its upload goes to distinct pieces. With several, the
            // others are peers that finished: their uploads are idle, and holding back from them
            // left newcomers fetching at a quarter of the rate from busy (or slow) downloaders.
            (int seeds, int declined, int rank, int downloading) = SeedView();
            int maxAvailability = session.SeedDeclined ? declined : seeds > 1 ? int.MaxValue : seeds;
            _picker.Pick(session.RemoteHave, room, session.Outstanding, _scratch, maxAvailability, (rank, downloading), duplicable);
        }
        else
        {
            _picker.Pick(session.RemoteHave, room, session.Outstanding, _scratch, duplicable: duplicable);
        }

        foreach (BlockRequest request in _scratch)
        {
            session.Outstanding.Add(request);
            session.Send(new OutgoingMessage(PeerMessageKind.Request, request.Piece, request.Begin, request.Length), now);
        }
    }

    /// <summary>Gives back the peer's requests in flight (a choke, a departure) and asks the others for them.</summary>
    public void ReleaseOutstanding(PeerSession session, TimeSpan now)
    {
        foreach (BlockRequest request in session.Outstanding)
        {
            _picker.ReleaseRequest(request);
        }

        session.Outstanding.Clear();
        foreach (PeerSession other in _sessions)
        {
            if (other != session)
            {
                RequestMore(other, now);
            }
        }
    }

    /// <summary>A block arrived: endgame duplicates of it asked of other peers are cancelled.</summary>
    public void CancelDuplicates(PeerSession receivedFrom, BlockRequest block, TimeSpan now)
    {
        foreach (PeerSession other in _sessions)
        {
            if (other != receivedFrom && other.Outstanding.Remove(block))
            {
                other.Unrequested.Withdrew(1);
                other.Send(new OutgoingMessage(PeerMessageKind.Cancel, block.Piece, block.Begin, block.Length), now);
                _picker.ReleaseRequest(block);
                RequestMore(other, now);
            }
        }
    }

    /// <summary>A connection is quiet after this long plus <see cref="EndgameQuietFactor"/> times what everything in flight takes at our rate.</summary>
    public static readonly TimeSpan EndgameQuietFloor = TimeSpan.FromMilliseconds(3);

    /// <summary>See <see cref="EndgameQuietFloor"/>.</summary>
    public const double EndgameQuietFactor = 4;

    /// <summary>A connection whose queue takes this many times longer than our whole download's is late.</summary>
    public const double EndgameLateFactor = 2;

    /// <summary>Endgame duplicates wait until what the delivering connections still owe us arrives within this long at our rate.</summary>
    public static readonly TimeSpan EndgameWindow = TimeSpan.FromMilliseconds(0.5);

    /// <summary>
    /// The blocks worth asking a second peer for: those outstanding at a connection that has
    /// delivered nothing for much longer than everything in flight should take, or that at its own
    /// rate will take more than twice as long to deliver what it owes as our whole download takes
    /// to bring in everything in flight; and only once the other connections owe us less than
    /// <see cref="EndgameWindow"/> of our rate.
    /// Before that our download is busy anyway, and a duplicate only queues behind its original:
    /// both arrive (duplicating every drained connection's share cost 4.8% of N*F at N=2,000).
    /// With no rate measured yet, every block in flight qualifies (the plain endgame).
    /// </summary>
    private HashSet<BlockRequest> FindStuckBlocks(TimeSpan now)
    {
        _stuck.Clear();
        double rate = 0;
        long inFlight = 0;
        foreach (PeerSession session in _sessions)
        {
            rate += session.DownloadRate;
            inFlight += (long)session.Outstanding.Count * _blockLength;
        }

        // How long our download takes to bring in everything in flight, at its current rate.
        double drain = rate > 0 ? inFlight / rate : 0;
        TimeSpan quiet = rate > 0 ? EndgameQuietFloor + TimeSpan.FromSeconds(EndgameQuietFactor * drain) : TimeSpan.Zero;
        long owed = 0;
        foreach (PeerSession session in _sessions)
        {
            if (session.Outstanding.Count == 0)
            {
                continue;
            }

            // A connection that will take far longer than our whole download to deliver what it
            // owes is the one the rest waits for (a slow or starved peer with a deep queue).
            long owes = (long)session.Outstanding.Count * _blockLength;
            bool late = session.DownloadRate > 0 && owes / session.DownloadRate > EndgameQuietFloor.TotalSeconds + (EndgameLateFactor * drain);
            if (late || now - session.LastDeliveryAt >= quiet)
            {
                foreach (BlockRequest request in session.Outstanding)
                {
                    _stuck.Add(request);
                }
            }
            else
            {
                owed += owes;
            }
        }

        if (rate > 0 && owed > rate * EndgameWindow.TotalSeconds)
        {
            _stuck.Clear();
        }

        return _stuck;
    }

    /// <summary>The fastest connection's rate at the last tick: a connection far below it is a slow one.</summary>
    public double BestRate { get; set; }

    private int QueueDepth(PeerSession session)
    {
        // Counted in 16 KiB wire requests, then in our blocks: the bytes in flight stay the same
        // when the simulator moves larger blocks (with 256 KiB blocks the same counts held 16 times
        // the bytes, and an origin's upload queue grew to a second at 10 Gbit/s).
        double requests = session.DownloadRate * _settings.RequestQueueTime.TotalSeconds / PeerWireLimits.BlockLength;
        int depth = (int)Math.Clamp(Math.Ceiling(requests) + 2 + (requests / RequestBatchDivisor), _settings.MinOutstandingRequests, _settings.MaxOutstandingRequests);
        if (session.DownloadRate > 0 && session.DownloadRate * SlowConnectionRatio < BestRate)
        {
            // A slow connection keeps only a few requests: what it holds, a faster one would have
            // to wait for (a peer at a tenth of the rate, shared by 60 requesters 16 blocks each,
            // answers after a T_min), and what it does not hold, the fast ones fetch.
            depth = Math.Min(depth, SlowConnectionQueue);
        }

        return PiecePicker.InBlocks(depth, _blockLength);
    }

    /// <summary>A connection this many times slower than the fastest is slow.</summary>
    public const double SlowConnectionRatio = 4;

    /// <summary>Requests kept outstanding on a slow connection.</summary>
    public const int SlowConnectionQueue = 4;

    /// <summary>
    /// Connected peers holding every piece (pieces only they hold are the ones to ask a seed for),
    /// and our stripe: our rank by peer id among the downloading peers we see (ourselves included),
    /// and their count. In a swarm where everyone is connected to everyone, each peer computes the
    /// same ranks.
    /// </summary>
    private (int Seeds, int Declined, int Rank, int Downloading) SeedView()
    {
        int seeds = 0;
        int declined = 0;
        int rank = 0;
        int downloading = 1;
        foreach (PeerSession session in _sessions)
        {
            if (session.RemoteHave.AllSet)
            {
                seeds++;
                declined += session.SeedDeclined ? 1 : 0;
            }
            else
            {
                downloading++;
                if (session.PeerId.AsSpan().SequenceCompareTo(_peerId) < 0)
                {
                    rank++;
                }
            }
        }

        return (seeds, declined, rank, downloading);
    }
}
