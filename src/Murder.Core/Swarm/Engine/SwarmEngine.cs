using System;
using System.Buffers;
using System.Collections.Generic;
using System.Net;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Swarm.Announcing;
using Murder.Core.Swarm.Choking;
using Murder.Core.Swarm.Dialing;
using Murder.Core.Swarm.Picking;
using Murder.Core.Swarm.Seeding;
using Murder.Core.Swarm.Sessions;

namespace Murder.Core.Swarm.Engine;

/// <summary>
/// One torrent's swarm as a state machine, sans I/O. Inputs: a peer connected (handshake done) or
/// gone, a message from a peer, a block about to be sent, time passing (<see cref="Tick"/>), a
/// piece checked, a tracker answer. Outputs: messages to peers (through each session's link) and
/// the requests of <see cref="ISwarmActions"/> (dial, verify, announce, completed). Time comes from
/// a <see cref="TimeProvider"/> and randomness from the <see cref="Random"/> given, so a run is
/// repeatable; not thread-safe: its host feeds it from one caller at a time. The socket host is
/// <see cref="TorrentSwarm"/>; the simulator (bench/sim) runs thousands of these in virtual time.
/// </summary>
internal sealed class SwarmEngine
{
    /// <summary>A connection's rate is sampled at a block's arrival at most this often (and at every tick).</summary>
    private static readonly TimeSpan RateSampleInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>A connection of no use either way for this long may be dropped when every slot is taken.</summary>
    private static readonly TimeSpan UselessConnectionAge = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an origin goes on declining a peer pieces that a peer it is connected to holds. At
    /// 2,000 peers the origin sent half a copy more once every piece was out, to its first neighbours
    /// asking for the newest pieces, and none of them finished sooner for it; a peer that no holder
    /// reaches (one connected only to the origin) waits this long at most.
    /// </summary>
    private static readonly TimeSpan DeclineWhileHeldFor = TimeSpan.FromSeconds(5);

    /// <summary>...and only once this many blocks arrived since the last sample.</summary>
    private const int RateSampleBlocks = 8;

    private readonly TorrentMetaInfo _torrent;
    private readonly int _blockLength;
    private readonly SwarmSettings _settings;
    private readonly ISwarmActions _actions;
    private readonly TimeProvider _time;
    private readonly long _startedAt;
    private readonly PiecePicker _picker;
    private readonly PeerMessageValidator _validator;
    private readonly byte[] _peerId;
    private readonly List<PeerSession> _sessions = new();
    private readonly List<PeerSession> _sessionScratch = new();
    private readonly List<IPEndPoint> _dialScratch = new();
    private readonly DialList _dial = new();
    private readonly HashSet<string> _bannedPeerIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenPeerIds = new(StringComparer.Ordinal);
    private readonly Choker _choker;
    private readonly RequestScheduler _requests;
    private readonly AnnounceScheduler? _announcer;
    private long _fromSeeds;
    private long _fromPeers;
    private long _wasted;
    private long _downloaded;
    private long _uploaded;
    private int _hashFailures;
    private int _banned;
    private TimeSpan? _firstPieceAfter;
    private TimeSpan? _completedAfter;
    private bool _stopped;

    /// <summary>Blocks uploaded per piece, kept by an origin (a seed from the start) to notice a piece asked for again.</summary>
    private readonly int[]? _sentBlocks;

    /// <summary>An origin's super-seeding (null for a swarm that started without every piece, or with it turned off).</summary>
    private readonly OriginOffers? _offers;

    /// <param name="torrent">The torrent.</param>
    /// <param name="have">The pieces already held, verified (all of them for a seeder).</param>
    /// <param name="settings">Validated settings.</param>
    /// <param name="peerId">Our 20-byte peer id.</param>
    /// <param name="actions">Where the engine's requests go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="random">Randomness (seeded for a repeatable run).</param>
    /// <param name="announces">Whether there is a tracker to announce to.</param>
    /// <param name="blockLength">The request size (16 KiB on the wire; the simulator may use larger blocks).</param>
    /// <param name="assembleData">False where blocks carry no bytes (the simulator).</param>
    public SwarmEngine(TorrentMetaInfo torrent, Bitfield have, SwarmSettings settings, byte[] peerId, ISwarmActions actions, TimeProvider time, Random random, bool announces, int blockLength = PeerWireLimits.BlockLength, bool assembleData = true)
    {
        _torrent = torrent;
        _blockLength = blockLength;
        _settings = settings;
        _actions = actions;
        _time = time;
        _startedAt = time.GetTimestamp();
        _peerId = peerId;
        _picker = new PiecePicker(torrent, have, blockLength, random, assembleData);
        _validator = new PeerMessageValidator(torrent.PieceCount, torrent.PieceLength, torrent.TotalLength, blockLength);
        _choker = new Choker(settings, random);
        _requests = new RequestScheduler(_picker, _sessions, settings, peerId, blockLength);
        _announcer = announces ? new AnnounceScheduler(settings.DefaultAnnounceInterval, have.AllSet) : null;
        _sentBlocks = have.AllSet ? new int[torrent.PieceCount] : null;
        _offers = have.AllSet && settings.SuperSeed ? new OriginOffers(_picker, _sessions, torrent.PieceCount, torrent.PieceLength, blockLength) : null;
    }

    /// <summary>Time since the engine started, on its clock.</summary>
    public TimeSpan Now => _time.GetElapsedTime(_startedAt);

    /// <summary>Where we listen (an announce carries its port; dialling it is dialling ourselves).</summary>
    public IPEndPoint LocalEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>Our peer id.</summary>
    public byte[] PeerId => _peerId;

    /// <summary>Every piece is verified.</summary>
    public bool IsComplete => _picker.IsComplete;

    /// <summary>The verified pieces.</summary>
    public Bitfield Have => _picker.Have;

    /// <summary>The connected peers.</summary>
    public IReadOnlyList<PeerSession> Sessions => _sessions;

    /// <summary>Starts: the first announce, and dials of peers already given.</summary>
    public void Start()
    {
        AnnounceDue(Now);
        DialDue(Now);
    }

    /// <summary>Adds peers to dial (from a tracker, or given directly) and dials what it may now.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers)
    {
        foreach (IPEndPoint peer in peers)
        {
            if (peer.Port == 0 || IsSelf(peer))
            {
                continue;
            }

            _dial.Add(Normalize(peer));
        }

        DialDue(Now);
    }

    /// <summary>
    /// A handshake completed (<paramref name="dialled"/> is the address we dialled, null for a peer
    /// that dialled us). Returns the session, or null when the connection is refused (ourselves, a
    /// duplicate, a banned peer, too many): the transport then closes it.
    /// </summary>
    public PeerSession? Connected(IPeerLink link, IPEndPoint remote, ReadOnlySpan<byte> theirId, IPEndPoint? dialled)
    {
        TimeSpan now = Now;
        string id = Convert.ToHexString(theirId);
        bool self = theirId.SequenceEqual(_peerId);
        bool duplicate = false;
        PeerSession? existing = _sessions.Find(other => other.PeerIdText == id);
        if (existing is not null && !self)
        {
            // Both sides dialled at once. Each side must keep the same TCP connection, so keep
            // the one opened by the lower peer id; otherwise each drops the other's and none survives.
            if (KeptOverDuplicate(dialled is not null, theirId, existing.IsOutgoing))
            {
                existing.Close();
            }
            else
            {
                duplicate = true;
            }
        }

        bool banned = _bannedPeerIds.Contains(id);
        bool refused = self || duplicate || banned || _sessions.Count >= _settings.MaxConnections || _stopped;
        if (dialled is not null)
        {
            _dial.Connected(dialled, self || banned);
            if (refused && !self && !banned)
            {
                // Refused by us (every slot taken meanwhile, or a duplicate): not connected, so it
                // may be dialled again after a backoff (it stayed marked connected: never again).
                _dial.Failed(dialled, now);
            }
        }

        if (refused)
        {
            DialDue(now);
            return null;
        }

        var session = new PeerSession(link, dialled ?? Normalize(remote), theirId, dialled is not null, _torrent.PieceCount, _settings.MaxUnrequestedBlocks, now);
        _sessions.Add(session);
        _seenPeerIds.Add(id);
        if (_offers is { Active: true })
        {
            _offers.Connected(session, now); // a few pieces announced instead of a bitfield
        }
        else if (!_picker.Have.NoneSet)
        {
            // BEP 3: a peer with nothing may skip the bitfield.
            session.Send(new OutgoingMessage(PeerMessageKind.Bitfield, Payload: _picker.Have.ToBytes()), now);
        }

        // A dial slot is free again: the next address is dialled now, not at the next tick (16
        // at a time, a quarter second apart, left a newcomer on 17 of 64 connections for a T_min).
        DialDue(now);
        return session;
    }

    /// <summary>A dial of ours failed before the handshake.</summary>
    public void DialFailed(IPEndPoint endPoint)
    {
        TimeSpan now = Now;
        _dial.DialFailed(endPoint, now);
        DialDue(now);
    }

    /// <summary>A connection ended (<paramref name="reason"/>: why, when it is worth a diagnostic).</summary>
    public void Disconnected(PeerSession session, string? reason)
    {
        session.Close();
        if (reason is not null)
        {
            _actions.Diagnostic($"peer {session.RemoteEndPoint} ({System.Text.Encoding.ASCII.GetString(session.PeerId, 0, 8)}) dropped: {reason}");
        }

        if (!_sessions.Remove(session))
        {
            return;
        }

        TimeSpan now = Now;
        _offers?.Gone(session, now);
        // Availability first: the others are asked for more at once, and a seed is asked only for
        // pieces no downloading peer holds, so the pieces only this peer held must count as the
        // seed's alone by then (or nothing asks the seed for them again: a stall).
        _picker.RemoveAvailability(session.RemoteHave);
        _requests.ReleaseOutstanding(session, now);
        if (!_picker.IsComplete && !_stopped)
        {
            // A peer that finishes hands over to a lingering seeder on another port; the tracker
            // already knows the new address, so ask it now rather than at the next interval.
            _announcer?.Soon(now);
            AnnounceDue(now);
        }

        if (session.IsOutgoing)
        {
            if (_picker.IsComplete && session.RemoteHave.AllSet)
            {
                _dial.Ban(session.RemoteEndPoint); // two seeds have nothing to trade: never dial it again
            }
            else
            {
                _dial.Failed(session.RemoteEndPoint, now); // dial again later
            }
        }

        DialDue(now); // a connection slot is free
    }

    /// <summary>A message from a peer. Throws <see cref="PeerProtocolException"/> on a violation: the transport drops the peer.</summary>
    public void Handle(PeerSession session, in PeerMessage message)
    {
        TimeSpan now = Now;
        session.LastReceived = now;
        switch (message.Kind)
        {
            case PeerMessageKind.Choke:
                session.PeerChoking = true;
                // A seed that chokes us (an origin declining pieces it sent already) is asked only
                // for what no one else holds once it unchokes again.
                session.SeedDeclined |= session.RemoteHave.AllSet;
                // Blocks already on their way may still arrive (BEP 3 lets a choke drop them or not).
                session.Unrequested.Withdrew(session.Outstanding.Count);
                _requests.ReleaseOutstanding(session, now);
                break;
            case PeerMessageKind.Unchoke:
                session.PeerChoking = false;
                _requests.RequestMore(session, now);
                break;
            case PeerMessageKind.Interested:
                _choker.Interested(session, now);
                break;
            case PeerMessageKind.NotInterested:
                session.PeerInterested = false;
                break;
            case PeerMessageKind.Have:
                _validator.Validate(message);
                if (session.RemoteHave.Set(message.Index))
                {
                    _picker.AddAvailability(message.Index);
                    _offers?.PeerHas(session, message.Index, now);
                    if (!session.AmInterested && !_picker.Have[message.Index])
                    {
                        _requests.UpdateInterest(session, now);
                    }
                    else if (session.Outstanding.Count == 0 && _picker.IsRequestable(message.Index))
                    {
                        // An idle connection to a peer that now holds something we can ask for:
                        // ask now, not at the next tick (a quarter second is a T_min at 10 Gbit/s).
                        _requests.RequestMore(session, now);
                    }

                    DisconnectIfBothComplete(session);
                }

                break;
            case PeerMessageKind.Bitfield:
                _validator.Validate(message);
                ReceiveBitfield(session, message.Payload);
                _offers?.PeerBitfield(session, now);
                _requests.UpdateInterest(session, now);
                DisconnectIfBothComplete(session);
                break;
            case PeerMessageKind.Request:
                _validator.Validate(message);
                HandleRequest(session, new BlockRequest(message.Index, message.Begin, message.Length), now);
                break;
            case PeerMessageKind.Cancel:
                _validator.Validate(message);
                session.CancelledUploads.Add(new BlockRequest(message.Index, message.Begin, message.Length));
                break;
            case PeerMessageKind.Piece:
                _validator.Validate(message);
                HandleBlock(session, message, now);
                break;
            default:
                break; // keep-alive, port, extension and unknown messages: nothing to do
        }

        session.ReceivedAnyMessage = true;
    }

    /// <summary>The transport is about to send a queued block: false when it was cancelled or the peer is choked since.</summary>
    public bool TakeUpload(PeerSession session, BlockRequest block)
    {
        session.QueuedUploads--;
        bool send = !session.AmChoking && !session.CancelledUploads.Remove(block);
        if (send)
        {
            session.Uploaded += block.Length;
            _uploaded += block.Length;
            if (_sentBlocks is not null)
            {
                _sentBlocks[block.Piece]++;
            }
        }

        if (_offers is { Active: true })
        {
            TimeSpan now = Now;
            if (send)
            {
                _offers.Sent(session, block, now);
            }

            _offers.UploadQueue(QueuedUploads(), now);
        }

        return send;
    }

    /// <summary>A piece asked for by <see cref="ISwarmActions.Verify"/>: matched its hash and was written, or did not match.</summary>
    public void PieceChecked(PieceProgress piece, bool valid)
    {
        if (valid)
        {
            PieceVerified(piece);
        }
        else if (FromBannedPeer(piece))
        {
            // Checked while its sender was being banned for another piece: the same fault, not a new one.
            _wasted += piece.Size;
            _picker.PieceFailed(piece);
        }
        else
        {
            PieceFailed(piece);
        }
    }

    /// <summary>A verified piece could not be written (the host reports the error): it is fetched again if the swarm goes on.</summary>
    public void PieceNotWritten(PieceProgress piece) => _picker.PieceFailed(piece);

    /// <summary>Time passed (the host calls this a few times a second): rates, timeouts, keep-alives, rechoke, dials, announces.</summary>
    public void Tick()
    {
        TimeSpan now = Now;
        _sessionScratch.Clear();
        _sessionScratch.AddRange(_sessions);
        double best = 0;
        foreach (PeerSession session in _sessionScratch)
        {
            session.SampleRate(now);
            best = Math.Max(best, session.DownloadRate);
            if (now - session.LastReceived > _settings.IdleTimeout)
            {
                session.Close();
            }
            else if (now - session.LastSent > _settings.KeepAliveInterval)
            {
                session.Send(new OutgoingMessage(PeerMessageKind.KeepAlive), now);
            }

            if (session.Declined && session.AmChoking && session.PeerInterested && _settings.UnchokeAll)
            {
                session.AmChoking = false;
                session.Send(new OutgoingMessage(PeerMessageKind.Unchoke), now);
            }

            if (session.Outstanding.Count == 0)
            {
                // Requests follow events (a block, a have, an unchoke); a connection with nothing
                // asked of it gets another look here, whatever was missed.
                _requests.RequestMore(session, now);
            }
        }

        _requests.BestRate = best;
        if (_offers is { Active: true })
        {
            _offers.UploadQueue(QueuedUploads(), now);
        }

        MakeRoom(now);
        _choker.Tick(_sessions, now);
        DialDue(now);
        AnnounceDue(now);
    }

    /// <summary>The announce handed out by <see cref="ISwarmActions.Announce"/> was answered.</summary>
    public void AnnounceSucceeded(SwarmAnnounceResponse response)
    {
        if (_announcer is null)
        {
            return;
        }

        SwarmAnnounceEvent? sent = _announcer.InFlight;
        _announcer.Succeeded(Now, response.Interval, _picker.IsComplete);
        AddPeers(response.Peers);
        if (sent is not null and not SwarmAnnounceEvent.None)
        {
            _actions.Diagnostic($"announced {sent.Value.ToString().ToLowerInvariant()}: {response.Peers.Count} peers");
        }

        AnnounceDue(Now);
    }

    /// <summary>The announce handed out failed (<paramref name="error"/> says how); it is retried with a backoff.</summary>
    public void AnnounceFailed(string error)
    {
        if (_announcer is null)
        {
            return;
        }

        TimeSpan wait = _announcer.Failed(Now);
        _actions.Diagnostic($"announce failed ({error}); retrying in {wait.TotalSeconds:0.0} s");
    }

    /// <summary>What to tell the tracker with this event.</summary>
    public SwarmAnnounce MakeAnnounce(SwarmAnnounceEvent announceEvent) =>
        new(_torrent.InfoHash, _peerId, LocalEndPoint.Port, _uploaded, _downloaded, _torrent.TotalLength - BytesHave, announceEvent, _settings.AnnounceNumWant);

    /// <summary>Stops: refuses new peers, announces nothing more, and closes every connection.</summary>
    public void Stop()
    {
        _stopped = true;
        foreach (PeerSession session in _sessions.ToArray())
        {
            session.Close();
        }
    }

    /// <summary>Returns the buffers of pieces in progress (after <see cref="Stop"/>, once no check is pending).</summary>
    public void ReleaseBuffers() => _picker.ReturnAllBuffers();

    /// <summary>A snapshot of the counters.</summary>
    public SwarmStatistics GetStatistics() => new()
    {
        PiecesHave = _picker.Have.CountSet,
        PieceCount = _torrent.PieceCount,
        BytesHave = BytesHave,
        TotalBytes = _torrent.TotalLength,
        Downloaded = _downloaded,
        Uploaded = _uploaded,
        BytesFromSeeds = _fromSeeds,
        BytesFromPeers = _fromPeers,
        BytesWasted = _wasted,
        ConnectedPeers = _sessions.Count,
        PeersSeen = _seenPeerIds.Count,
        HashFailures = _hashFailures,
        PeersBanned = _banned,
        Elapsed = Now,
        FirstPieceAfter = _firstPieceAfter,
        CompletedAfter = _completedAfter,
    };

    private int QueuedUploads()
    {
        int queued = 0;
        foreach (PeerSession session in _sessions)
        {
            queued += session.QueuedUploads;
        }

        return queued;
    }

    private long BytesHave
    {
        get
        {
            long bytes = (long)_picker.Have.CountSet * _torrent.PieceLength;
            if (_picker.Have[_torrent.PieceCount - 1])
            {
                bytes -= _torrent.PieceLength - _torrent.GetPieceSize(_torrent.PieceCount - 1);
            }

            return bytes;
        }
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private bool IsSelf(IPEndPoint peer) =>
        peer.Port == LocalEndPoint.Port && (IPAddress.IsLoopback(peer.Address) || peer.Address.Equals(LocalEndPoint.Address));

    /// <summary>Whether a new connection replaces an existing one to the same peer: the survivor is the one the lower peer id opened.</summary>
    private bool KeptOverDuplicate(bool newIsOutgoing, ReadOnlySpan<byte> theirId, bool existingIsOutgoing)
    {
        if (newIsOutgoing == existingIsOutgoing)
        {
            return false; // same direction twice: keep the first
        }

        bool weAreLower = _peerId.AsSpan().SequenceCompareTo(theirId) < 0;
        return newIsOutgoing == weAreLower;
    }

    private void ReceiveBitfield(PeerSession session, ReadOnlySequence<byte> payload)
    {
        if (!session.ReceivedAnyMessage)
        {
            session.RemoteHave.ReadFrom(payload);
            _picker.AddAvailability(session.RemoteHave);
            return;
        }

        // BEP 3 wants the bitfield first, but aria2 sends it once it has pieces: take it as a batch of 'have's.
        Bitfield late = Bitfield.FromBytes(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), _torrent.PieceCount);
        foreach (int index in late)
        {
            if (session.RemoteHave.Set(index))
            {
                _picker.AddAvailability(index);
            }
        }
    }

    private void HandleRequest(PeerSession session, BlockRequest block, TimeSpan now)
    {
        if (session.AmChoking)
        {
            return; // BEP 3: requests while choked are dropped
        }

        if (!_picker.Have[block.Piece])
        {
            throw new PeerProtocolException(PeerProtocolError.PieceIndexOutOfRange, $"The peer requested piece {block.Piece}, which we do not have (and never announced).");
        }

        if (session.QueuedUploads >= _settings.MaxQueuedUploads)
        {
            throw new PeerProtocolException(PeerProtocolError.InvalidMessageLength, $"The peer queued more than {_settings.MaxQueuedUploads} requests.");
        }

        if (_sentBlocks is not null && _offers is not { Active: true } && _sentBlocks[block.Piece] >= _picker.BlocksIn(block.Piece) && _settings.UnchokeAll
            && (!session.Declined || (now - session.DeclinedAt < DeclineWhileHeldFor && HeldByAnotherPeer(block.Piece, session))))
        {
            // The origin is asked again for a piece it has sent in full: peers hold it. Choke the
            // peer (standard BEP 3; its requests return to it and go to the peers that finished,
            // which have nothing else to do), unchoke it at the next tick. A Murder peer then asks
            // this seed only for what no one else it knows holds: declined again while a peer we
            // are connected to holds the piece (it spreads from there), served otherwise.
            if (!session.Declined)
            {
                session.DeclinedAt = now;
                session.Declined = true;
            }

            session.AmChoking = true;
            session.Send(new OutgoingMessage(PeerMessageKind.Choke), now);
            return;
        }

        session.CancelledUploads.Remove(block);
        session.QueuedUploads++;
        _offers?.Requested(session, block);
        session.Send(new OutgoingMessage(PeerMessageKind.Piece, block.Piece, block.Begin, block.Length), now);
    }

    /// <summary>Whether a peer still connected, other than this one, holds the piece: we delivered it there while super-seeding, or it told us.</summary>
    private bool HeldByAnotherPeer(int piece, PeerSession asking)
    {
        if (_offers?.DeliveredTo(piece) is { IsClosed: false } holder && holder != asking)
        {
            return true;
        }

        foreach (PeerSession session in _sessions)
        {
            if (session != asking && !session.IsClosed && session.RemoteHave[piece])
            {
                return true;
            }
        }

        return false;
    }

    private void HandleBlock(PeerSession session, in PeerMessage message, TimeSpan now)
    {
        var block = new BlockRequest(message.Index, message.Begin, (int)message.Payload.Length);
        session.LastDeliveryAt = now;
        session.Downloaded += block.Length;
        _downloaded += block.Length;
        int position = session.Outstanding.IndexOf(block);
        if (position >= 0)
        {
            session.Outstanding.RemoveAt(position);
        }
        else if (!_picker.IsWanted(block))
        {
            _wasted += block.Length;
            if (!session.Unrequested.TryCount())
            {
                throw new PeerProtocolException(PeerProtocolError.UnrequestedBlock, $"The peer sent more than {_settings.MaxUnrequestedBlocks} blocks nobody asked for (beyond the requests we cancelled).");
            }

            return;
        }

        // Other requests for this block exist only in endgame or after a choke moved it: only then
        // are the other sessions searched for duplicates to cancel.
        bool askedElsewhere = _picker.RequestCount(block) > (position >= 0 ? 1 : 0);
        ReadOnlySequence<byte> payload = message.Payload;
        PieceProgress? completed = payload.IsSingleSegment
            ? _picker.BlockReceived(block, payload.FirstSpan, session, out bool accepted)
            : _picker.BlockReceived(block, payload.ToArray(), session, out accepted);
        if (session.SampleRateAfter(now, RateSampleInterval, RateSampleBlocks * (long)_blockLength))
        {
            // Rates are known within tens of milliseconds, not at the next tick: a download at
            // 10 Gbit/s may take less time than one tick.
            _requests.BestRate = Math.Max(_requests.BestRate, session.DownloadRate);
        }

        if (accepted)
        {
            session.RecentDownload += block.Length;
            if (session.RemoteHave.AllSet)
            {
                _fromSeeds += block.Length;
            }
            else
            {
                _fromPeers += block.Length;
            }

            if (askedElsewhere)
            {
                _requests.CancelDuplicates(session, block, now);
            }
        }
        else
        {
            _wasted += block.Length;
        }

        if (completed is not null)
        {
            Check(completed);
        }

        _requests.RequestMore(session, now);
        _requests.RequestEndgameDuplicates(now);
    }

    private void Check(PieceProgress piece)
    {
        if (FromBannedPeer(piece))
        {
            // Blocks from a peer banned since they arrived: not worth a hash, and never trusted.
            _wasted += piece.Size;
            _picker.PieceFailed(piece);
            return;
        }

        _actions.Verify(piece);
    }

    private bool FromBannedPeer(PieceProgress piece)
    {
        foreach (object contributor in piece.Contributors)
        {
            if (_bannedPeerIds.Contains(((PeerSession)contributor).PeerIdText))
            {
                return true;
            }
        }

        return false;
    }

    private void PieceVerified(PieceProgress piece)
    {
        TimeSpan now = Now;
        _picker.PieceVerified(piece);
        _firstPieceAfter ??= now;
        foreach (PeerSession session in _sessions)
        {
            // No 'have' to a peer that holds the piece already (seeds above all): it could not use
            // it, and late in a download that is most messages (each one a wake-up and a write).
            if (!session.RemoteHave[piece.Index])
            {
                session.Send(new OutgoingMessage(PeerMessageKind.Have, piece.Index), now);
            }

            if (session.AmInterested)
            {
                _requests.UpdateInterestOnly(session, now);
            }
        }

        if (_picker.IsComplete && _completedAfter is null)
        {
            _completedAfter = now;
            _actions.Completed();
            foreach (PeerSession session in _sessions.ToArray())
            {
                DisconnectIfBothComplete(session);
            }

            AnnounceDue(now);
        }
    }

    private void PieceFailed(PieceProgress piece)
    {
        TimeSpan now = Now;
        _hashFailures++;
        _wasted += piece.Size;
        foreach (object contributor in piece.Contributors)
        {
            var session = (PeerSession)contributor;
            // A piece from one peer alone is that peer's fault; shared blame needs a second failure.
            session.BadPieces += piece.Contributors.Count == 1 ? _settings.BanAfterBadPieces : 1;
            if (session.BadPieces >= _settings.BanAfterBadPieces && _bannedPeerIds.Add(session.PeerIdText))
            {
                _banned++;
                _actions.Diagnostic($"peer {session.RemoteEndPoint} banned: piece {piece.Index} failed its hash check");
                _dial.Ban(session.RemoteEndPoint);
                session.Close();
            }
        }

        _picker.PieceFailed(piece);
        foreach (PeerSession session in _sessions)
        {
            _requests.RequestMore(session, now);
        }
    }

    /// <summary>
    /// A downloading peer whose every connection slot is taken drops a few connections that have
    /// been of no use either way for a second, so it can dial others. Without this, peers that
    /// joined together with nothing filled each other's 64 slots and never reached a seed (130 of
    /// 1,000 in the simulator once dials followed events).
    /// </summary>
    private void MakeRoom(TimeSpan now)
    {
        if (_picker.IsComplete || _sessions.Count < _settings.MaxConnections)
        {
            return;
        }

        int dropped = 0;
        foreach (PeerSession session in _sessionScratch)
        {
            if (!session.AmInterested && !session.PeerInterested && session.QueuedUploads == 0 && now - session.ConnectedAt >= UselessConnectionAge)
            {
                session.Close();
                if (++dropped >= Math.Max(1, _settings.MaxConnections / 8))
                {
                    return;
                }
            }
        }
    }

    private void DisconnectIfBothComplete(PeerSession session)
    {
        if (_picker.IsComplete && session.RemoteHave.AllSet)
        {
            session.Close();
        }
    }

    private void DialDue(TimeSpan now)
    {
        if (_stopped)
        {
            return;
        }

        _dialScratch.Clear();
        int outgoing = 0;
        foreach (PeerSession session in _sessions)
        {
            outgoing += session.IsOutgoing ? 1 : 0;
        }

        _dial.TakeDue(now, _sessions.Count, _settings.MaxConnections, outgoing, _settings.MaxOutgoingConnections, IsConnected, _dialScratch);
        foreach (IPEndPoint endPoint in _dialScratch)
        {
            _actions.Dial(endPoint);
        }
    }

    private bool IsConnected(IPEndPoint endPoint)
    {
        foreach (PeerSession session in _sessions)
        {
            if (session.RemoteEndPoint.Equals(endPoint))
            {
                return true;
            }
        }

        return false;
    }

    private void AnnounceDue(TimeSpan now)
    {
        if (_announcer is null || _stopped)
        {
            return;
        }

        SwarmAnnounceEvent? due = _announcer.TakeDue(now, _picker.IsComplete);
        if (due is not null)
        {
            _actions.Announce(MakeAnnounce(due.Value));
        }
    }
}
