using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;

namespace Murder.Core.Swarm;

/// <summary>
/// One torrent's swarm: listens for peers, connects to the ones the tracker names, downloads
/// missing pieces (verified with SHA-1 before they are written or served) and uploads what it has.
/// State lives under one lock held only for bookkeeping, never across I/O; sockets, hashing and
/// disk writes run outside it. A seeder is a swarm whose store is already complete.
/// </summary>
public sealed class TorrentSwarm : IAsyncDisposable
{
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ChokeInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EarlyAnnounceInterval = TimeSpan.FromSeconds(1);
    private readonly object _gate = new();
    private readonly TorrentMetaInfo _torrent;
    private readonly IPieceStore _store;
    private readonly SwarmSettings _settings;
    private readonly ISwarmTracker? _tracker;
    private readonly PiecePicker _picker;
    private readonly PeerMessageValidator _validator;
    private readonly byte[] _peerId;
    private readonly List<PeerConnection> _connections = new();
    private readonly Dictionary<IPEndPoint, PeerCandidate> _candidates = new();
    private readonly HashSet<string> _bannedPeerIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenPeerIds = new(StringComparer.Ordinal);
    private readonly List<BlockRequest> _scratch = new();
    private readonly List<Task> _background = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _announceNow = new(0);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Random _random;
    private readonly RateLimiter? _uploadLimit;
    private Socket? _listener;
    private int _connecting;
    private int _verifying;
    private long _fromSeeds;
    private long _fromPeers;
    private long _wasted;
    private long _downloaded;
    private long _uploadedByClosed;
    private int _hashFailures;
    private int _banned;
    private TimeSpan? _firstPieceAfter;
    private TimeSpan? _completedAfter;
    private bool _completionAnnounced;
    private TimeSpan _lastChoke;
    private TimeSpan _lastEarlyAnnounce = TimeSpan.MinValue / 2;
    private bool _disposed;

    private TorrentSwarm(TorrentMetaInfo torrent, IPieceStore store, Bitfield have, SwarmSettings settings, ISwarmTracker? tracker)
    {
        _torrent = torrent;
        _store = store;
        _settings = settings;
        _tracker = tracker;
        _random = new Random();
        _peerId = settings.PeerId ?? NewPeerId();
        _picker = new PiecePicker(torrent, have, PeerWireLimits.BlockLength, _random);
        _validator = PeerMessageValidator.For(torrent);
        _uploadLimit = settings.MaxUploadRate > 0 ? new RateLimiter(settings.MaxUploadRate) : null;
        if (have.AllSet)
        {
            _completion.TrySetResult();
            _completionAnnounced = true; // a seeder announces 'started' with left=0, never 'completed'
        }
    }

    /// <summary>The torrent.</summary>
    public TorrentMetaInfo Torrent => _torrent;

    /// <summary>Where we listen for peers.</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Our peer id.</summary>
    public ReadOnlyMemory<byte> PeerId => _peerId;

    /// <summary>
    /// Notable events, one line each (a peer dropped and why, a ban, a hash failure), raised on
    /// whatever thread saw them; handlers must be quick and thread-safe.
    /// </summary>
    public event Action<string>? Diagnostic;

    /// <summary>Completes when every piece is verified and written; faults when the swarm cannot go on (a disk error).</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Starts a swarm. <paramref name="have"/> says which pieces the store already holds, verified
    /// (see <see cref="PieceChecker"/>); all of them for a seeder.
    /// </summary>
    public static TorrentSwarm Start(TorrentMetaInfo torrent, IPieceStore store, Bitfield have, SwarmSettings settings, ISwarmTracker? tracker)
    {
        settings.Validate();
        if (torrent.IsMultiFile)
        {
            throw new MurderException("MultiFileTorrentNotSupported", MurderErrorCategory.InvalidData, $"'{torrent.Name}' is a multi-file torrent; Murder deploys single-file artifacts (TAG.tgz). Make the torrent with New-MurderTorrent.");
        }

        var swarm = new TorrentSwarm(torrent, store, have, settings, tracker);
        swarm.Listen();
        swarm._background.Add(Task.Run(swarm.MaintenanceLoopAsync));
        if (tracker is not null)
        {
            swarm._background.Add(Task.Run(swarm.TrackerLoopAsync));
        }

        return swarm;
    }

    /// <summary>Adds peers to connect to (from a tracker, or given directly).</summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers)
    {
        lock (_gate)
        {
            foreach (IPEndPoint peer in peers)
            {
                if (peer.Port == 0 || IsSelf(peer))
                {
                    continue;
                }

                _candidates.TryAdd(Normalize(peer), new PeerCandidate());
            }
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public SwarmStatistics GetStatistics()
    {
        lock (_gate)
        {
            int have = _picker.Have.CountSet;
            long bytesHave = (long)have * _torrent.PieceLength;
            if (_picker.Have[_torrent.PieceCount - 1])
            {
                bytesHave -= _torrent.PieceLength - _torrent.GetPieceSize(_torrent.PieceCount - 1);
            }

            return new SwarmStatistics
            {
                PiecesHave = have,
                PieceCount = _torrent.PieceCount,
                BytesHave = bytesHave,
                TotalBytes = _torrent.TotalLength,
                Downloaded = Interlocked.Read(ref _downloaded),
                Uploaded = _uploadedByClosed + _connections.Sum(connection => connection.Uploaded),
                BytesFromSeeds = _fromSeeds,
                BytesFromPeers = _fromPeers,
                BytesWasted = _wasted,
                ConnectedPeers = _connections.Count,
                PeersSeen = _seenPeerIds.Count,
                HashFailures = _hashFailures,
                PeersBanned = _banned,
                Elapsed = _clock.Elapsed,
                FirstPieceAfter = _firstPieceAfter,
                CompletedAfter = _completedAfter,
            };
        }
    }

    /// <summary>Stops: tells the tracker, closes every connection, waits for pending writes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping.Cancel();
        _listener?.Dispose();
        PeerConnection[] open;
        lock (_gate)
        {
            open = _connections.ToArray();
        }

        foreach (PeerConnection connection in open)
        {
            connection.Close();
        }

        try
        {
            await Task.WhenAll(_background.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception error) when (error is OperationCanceledException or TimeoutException or SocketException or ObjectDisposedException)
        {
        }

        for (int wait = 0; Volatile.Read(ref _verifying) > 0 && wait < 200; wait++)
        {
            await Task.Delay(25).ConfigureAwait(false);
        }

        if (_tracker is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _tracker.AnnounceAsync(MakeAnnounce(SwarmAnnounceEvent.Stopped), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                // Best effort: the tracker expires us anyway.
            }
        }

        lock (_gate)
        {
            _picker.ReturnAllBuffers();
        }

        _completion.TrySetCanceled();
        _stopping.Dispose();
        _announceNow.Dispose();
    }

    internal void Handle(PeerConnection connection, in PeerMessage message)
    {
        lock (_gate)
        {
            switch (message.Kind)
            {
                case PeerMessageKind.Choke:
                    connection.PeerChoking = true;
                    // Blocks already on their way may still arrive (BEP 3 lets a choke drop them or not).
                    connection.Unrequested.Withdrew(connection.Outstanding.Count);
                    ReleaseOutstanding(connection);
                    break;
                case PeerMessageKind.Unchoke:
                    connection.PeerChoking = false;
                    RequestMore(connection);
                    break;
                case PeerMessageKind.Interested:
                    connection.PeerInterested = true;
                    if (_settings.UnchokeAll && connection.AmChoking)
                    {
                        connection.AmChoking = false;
                        connection.Enqueue(new OutgoingMessage(PeerMessageKind.Unchoke));
                    }

                    break;
                case PeerMessageKind.NotInterested:
                    connection.PeerInterested = false;
                    break;
                case PeerMessageKind.Have:
                    _validator.Validate(message);
                    if (connection.RemoteHave.Set(message.Index))
                    {
                        _picker.AddAvailability(message.Index);
                        if (!connection.AmInterested && !_picker.Have[message.Index])
                        {
                            UpdateInterest(connection);
                        }

                        DisconnectIfBothComplete(connection);
                    }

                    break;
                case PeerMessageKind.Bitfield:
                    _validator.Validate(message);
                    if (!connection.ReceivedAnyMessage)
                    {
                        connection.RemoteHave.ReadFrom(message.Payload);
                        _picker.AddAvailability(connection.RemoteHave);
                        connection.StartedAsSeed = connection.RemoteHave.AllSet;
                    }
                    else
                    {
                        // BEP 3 wants the bitfield first, but aria2 sends it once it has pieces:
                        // take it as a batch of 'have's.
                        Bitfield late = Bitfield.FromBytes(message.Payload.IsSingleSegment ? message.Payload.FirstSpan : message.Payload.ToArray(), _torrent.PieceCount);
                        foreach (int index in late)
                        {
                            if (connection.RemoteHave.Set(index))
                            {
                                _picker.AddAvailability(index);
                            }
                        }
                    }

                    UpdateInterest(connection);
                    DisconnectIfBothComplete(connection);
                    break;
                case PeerMessageKind.Request:
                    _validator.Validate(message);
                    HandleRequest(connection, new BlockRequest(message.Index, message.Begin, message.Length));
                    break;
                case PeerMessageKind.Cancel:
                    _validator.Validate(message);
                    connection.CancelledUploads.Add(new BlockRequest(message.Index, message.Begin, message.Length));
                    break;
                case PeerMessageKind.Piece:
                    _validator.Validate(message);
                    HandleBlock(connection, message);
                    break;
                default:
                    break; // keep-alive, port, extension and unknown messages: nothing to do
            }

            connection.ReceivedAnyMessage = true;
        }
    }

    /// <summary>Waits until the upload limit allows a block of this size (no wait without a limit).</summary>
    internal ValueTask ThrottleUploadAsync(int bytes, CancellationToken cancellation) =>
        _uploadLimit?.TakeAsync(bytes, cancellation) ?? ValueTask.CompletedTask;

    /// <summary>Called by the send loop just before a block is read: false when it was cancelled or the peer is choked.</summary>
    internal bool TakeUpload(PeerConnection connection, BlockRequest block)
    {
        lock (_gate)
        {
            connection.QueuedUploads--;
            return !connection.AmChoking && !connection.CancelledUploads.Remove(block);
        }
    }

    private static byte[] NewPeerId()
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        byte[] id = new byte[20];
        "-MU0100-"u8.CopyTo(id);
        for (int index = 8; index < 20; index++)
        {
            id[index] = (byte)alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return id;
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private bool IsSelf(IPEndPoint peer) =>
        peer.Port == LocalEndPoint.Port && (IPAddress.IsLoopback(peer.Address) || peer.Address.Equals(LocalEndPoint.Address));

    private void Listen()
    {
        var endPoint = new IPEndPoint(_settings.ListenAddress, _settings.ListenPort);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.Bind(endPoint);
            listener.Listen(512);
        }
        catch (SocketException error)
        {
            listener.Dispose();
            throw new MurderException(
                "PeerPortUnavailable",
                MurderErrorCategory.ResourceExists,
                $"Cannot listen for peers on {endPoint}: {error.Message}. Choose another port, or leave the port out to pick a free one.",
                error)
            {
                TargetObject = endPoint,
            };
        }

        _listener = listener;
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        LocalEndPoint = bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.Loopback, bound.Port) : bound;
        _background.Add(Task.Run(AcceptLoopAsync));
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = Task.Run(() => SetUpAsync(socket, null));
        }
    }

    private async Task ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_settings.ConnectTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            if (!_stopping.IsCancellationRequested)
            {
                Diagnostic?.Invoke($"connecting to {endPoint} failed: {(error is OperationCanceledException ? "timed out" : error.Message)}");
            }

            lock (_gate)
            {
                _connecting--;
                if (_candidates.TryGetValue(endPoint, out PeerCandidate? candidate))
                {
                    candidate.Failed(_clock.Elapsed);
                }
            }

            return;
        }

        await SetUpAsync(socket, endPoint).ConfigureAwait(false);
    }

    /// <summary>Handshakes on a new socket (we speak first when we dialled) and runs the connection.</summary>
    private async Task SetUpAsync(Socket socket, IPEndPoint? dialled)
    {
        socket.NoDelay = true;
        PeerConnection? connection = null;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PeerHandshake.Length);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_settings.HandshakeTimeout);
            byte[] ours = new PeerHandshake(_torrent.InfoHash, _peerId).ToBytes();
            if (dialled is not null)
            {
                await socket.SendAsync(ours, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }

            int filled = 0;
            while (filled < PeerHandshake.Length)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(filled, PeerHandshake.Length - filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }

                filled += read;
            }

            if (!PeerHandshake.TryParse(buffer.AsSpan(0, PeerHandshake.Length), out PeerHandshake? theirs) || theirs is null)
            {
                throw new PeerProtocolException(PeerProtocolError.InvalidHandshake, "The peer's handshake is not BitTorrent's.");
            }

            theirs.EnsureInfoHash(_torrent.InfoHash);
            var remote = Normalize((IPEndPoint)socket.RemoteEndPoint!);
            lock (_gate)
            {
                string id = Convert.ToHexString(theirs.PeerId.Span);
                bool self = theirs.PeerId.Span.SequenceEqual(_peerId);
                bool duplicate = false;
                PeerConnection? existing = _connections.Find(other => other.PeerIdText == id);
                if (existing is not null && !self)
                {
                    // Both sides dialled at once. Each side must keep the same TCP connection, so keep
                    // the one opened by the lower peer id; otherwise each drops the other's and none survives.
                    bool keepNew = KeptOverDuplicate(dialled is not null, theirs.PeerId.Span, existing.IsOutgoing);
                    if (keepNew)
                    {
                        existing.Close();
                    }
                    else
                    {
                        duplicate = true;
                    }
                }
                if (dialled is not null)
                {
                    _connecting--;
                    if (_candidates.TryGetValue(dialled, out PeerCandidate? candidate))
                    {
                        candidate.Connected(self || _bannedPeerIds.Contains(id));
                    }
                }

                if (self || duplicate || _bannedPeerIds.Contains(id) || _connections.Count >= _settings.MaxConnections || _stopping.IsCancellationRequested)
                {
                    socket.Dispose();
                    return;
                }

                connection = new PeerConnection(socket, dialled ?? remote, theirs.PeerId, dialled is not null, _torrent.PieceCount, _torrent.PieceLength, _store, _settings.MaxUnrequestedBlocks);
                _connections.Add(connection);
                _seenPeerIds.Add(id);
            }

            if (dialled is null)
            {
                await socket.SendAsync(ours, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }

            await SendBitfieldAsync(socket, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException or PeerProtocolException or MurderException)
        {
            if (error is PeerProtocolException or MurderException)
            {
                Diagnostic?.Invoke($"handshake with {socket.RemoteEndPoint?.ToString() ?? "a peer"} failed: {error.Message}");
            }

            lock (_gate)
            {
                if (connection is null && dialled is not null)
                {
                    _connecting--;
                    if (_candidates.TryGetValue(dialled, out PeerCandidate? candidate))
                    {
                        candidate.Failed(_clock.Elapsed);
                    }
                }
            }

            if (connection is not null)
            {
                Disconnected(connection, error);
            }
            else
            {
                socket.Dispose();
            }

            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Exception? reason = await connection.RunAsync(this, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
        Disconnected(connection, reason);
    }

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

    private async Task SendBitfieldAsync(Socket socket, CancellationToken token)
    {
        byte[] message;
        lock (_gate)
        {
            if (_picker.Have.NoneSet)
            {
                return; // BEP 3: a peer with nothing may skip the bitfield
            }

            message = new byte[PeerMessageWriter.GetBitfieldMessageSize(_picker.Have)];
            PeerMessageWriter.WriteBitfield(message, _picker.Have);
        }

        await socket.SendAsync(message, SocketFlags.None, token).ConfigureAwait(false);
    }

    private void Disconnected(PeerConnection connection, Exception? reason)
    {
        connection.Dispose();
        if (reason is not null && reason is not OperationCanceledException and not ObjectDisposedException)
        {
            Diagnostic?.Invoke($"peer {connection.RemoteEndPoint} ({System.Text.Encoding.ASCII.GetString(connection.PeerId, 0, 8)}) dropped: {reason.Message}");
        }

        lock (_gate)
        {
            if (!_connections.Remove(connection))
            {
                return;
            }

            _uploadedByClosed += connection.Uploaded;
            // Availability first: the others are asked for more at once, and a seed is asked only for
            // pieces no downloading peer holds, so the pieces only this peer held must count as the
            // seed's alone by then (or nothing asks the seed for them again: a stall).
            _picker.RemoveAvailability(connection.RemoteHave);
            ReleaseOutstanding(connection);
            AnnounceSoonAfterLoss();
            if (connection.IsOutgoing && _candidates.TryGetValue(connection.RemoteEndPoint, out PeerCandidate? candidate))
            {
                if (_picker.IsComplete && connection.RemoteHave.AllSet)
                {
                    candidate.Ban(); // two seeds have nothing to trade: never dial it again
                }
                else
                {
                    candidate.Failed(_clock.Elapsed); // dial again later
                }
            }
        }
    }

    /// <summary>
    /// A peer that finishes hands over to a lingering seeder on another port and closes its
    /// connections; the tracker already knows the new address. Ask it now rather than at the next
    /// interval (15 s or more), at most once a second, so the last peers do not starve meanwhile.
    /// </summary>
    private void AnnounceSoonAfterLoss()
    {
        TimeSpan now = _clock.Elapsed;
        if (_tracker is null || _picker.IsComplete || _disposed || now - _lastEarlyAnnounce < EarlyAnnounceInterval)
        {
            return;
        }

        _lastEarlyAnnounce = now;
        try
        {
            if (_announceNow.CurrentCount == 0)
            {
                _announceNow.Release();
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void HandleRequest(PeerConnection connection, BlockRequest block)
    {
        if (connection.AmChoking)
        {
            return; // BEP 3: requests while choked are dropped
        }

        if (!_picker.Have[block.Piece])
        {
            throw new PeerProtocolException(PeerProtocolError.PieceIndexOutOfRange, $"The peer requested piece {block.Piece}, which we do not have (and never announced).");
        }

        if (connection.QueuedUploads >= _settings.MaxQueuedUploads)
        {
            throw new PeerProtocolException(PeerProtocolError.InvalidMessageLength, $"The peer queued more than {_settings.MaxQueuedUploads} requests.");
        }

        connection.CancelledUploads.Remove(block);
        connection.QueuedUploads++;
        connection.Enqueue(new OutgoingMessage(PeerMessageKind.Piece, block.Piece, block.Begin, block.Length));
    }

    private void HandleBlock(PeerConnection connection, in PeerMessage message)
    {
        var block = new BlockRequest(message.Index, message.Begin, (int)message.Payload.Length);
        connection.AddDownloaded(block.Length);
        Interlocked.Add(ref _downloaded, block.Length);
        int position = connection.Outstanding.IndexOf(block);
        if (position >= 0)
        {
            connection.Outstanding.RemoveAt(position);
        }
        else if (!_picker.IsWanted(block))
        {
            _wasted += block.Length;
            if (!connection.Unrequested.TryCount())
            {
                throw new PeerProtocolException(PeerProtocolError.UnrequestedBlock, $"The peer sent more than {_settings.MaxUnrequestedBlocks} blocks nobody asked for (beyond the requests we cancelled).");
            }

            return;
        }

        ReadOnlySequence<byte> payload = message.Payload;
        PieceProgress? completed = payload.IsSingleSegment
            ? _picker.BlockReceived(block, payload.FirstSpan, connection, out bool accepted)
            : _picker.BlockReceived(block, payload.ToArray(), connection, out accepted);
        if (accepted)
        {
            connection.RecentDownload += block.Length;
            if (connection.StartedAsSeed)
            {
                _fromSeeds += block.Length;
            }
            else
            {
                _fromPeers += block.Length;
            }

            CancelDuplicates(connection, block);
        }
        else
        {
            _wasted += block.Length;
        }

        if (completed is not null)
        {
            _verifying++;
            _ = Task.Run(() => VerifyAndWriteAsync(completed));
        }

        RequestMore(connection);
    }

    private void CancelDuplicates(PeerConnection receivedFrom, BlockRequest block)
    {
        foreach (PeerConnection other in _connections)
        {
            if (other != receivedFrom && other.Outstanding.Remove(block))
            {
                other.Unrequested.Withdrew(1);
                other.Enqueue(new OutgoingMessage(PeerMessageKind.Cancel, block.Piece, block.Begin, block.Length));
                _picker.ReleaseRequest(block);
                RequestMore(other);
            }
        }
    }

    private async Task VerifyAndWriteAsync(PieceProgress piece)
    {
        try
        {
            lock (_gate)
            {
                if (piece.Contributors.Any(contributor => _bannedPeerIds.Contains(((PeerConnection)contributor).PeerIdText)))
                {
                    // Blocks from a peer banned since they arrived: not worth a hash, and never trusted.
                    _wasted += piece.Size;
                    _picker.PieceFailed(piece);
                    return;
                }
            }

            bool valid = PieceChecker.Matches(piece.Buffer.AsSpan(0, piece.Size), _torrent.GetPieceHash(piece.Index));
            if (valid)
            {
                try
                {
                    await _store.WriteAsync((long)piece.Index * _torrent.PieceLength, piece.Buffer.AsMemory(0, piece.Size), _stopping.Token).ConfigureAwait(false);
                }
                catch (System.IO.IOException full) when (DiskSpace.IsDiskFull(full))
                {
                    _completion.TrySetException(new MurderException(
                        "InsufficientDiskSpace",
                        MurderErrorCategory.WriteError,
                        $"{Environment.MachineName}: the disk filled up while downloading '{_torrent.Name}' ({_torrent.TotalLength:N0} bytes are needed in all): {full.Message} Free some space and run again; the pieces already written are kept and resumed.",
                        full));
                    lock (_gate)
                    {
                        _picker.PieceFailed(piece);
                    }

                    return;
                }
                catch (Exception error) when (error is System.IO.IOException or UnauthorizedAccessException)
                {
                    _completion.TrySetException(new MurderException(
                        "PieceWriteFailed",
                        MurderErrorCategory.WriteError,
                        $"Writing piece {piece.Index} of '{_torrent.Name}' failed: {error.Message} Check free space and permissions where the download is stored.",
                        error));
                    lock (_gate)
                    {
                        _picker.PieceFailed(piece);
                    }

                    return;
                }
            }

            lock (_gate)
            {
                if (valid)
                {
                    PieceVerified(piece);
                }
                else
                {
                    PieceFailed(piece);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _verifying);
        }
    }

    private void PieceVerified(PieceProgress piece)
    {
        _picker.PieceVerified(piece);
        _firstPieceAfter ??= _clock.Elapsed;
        foreach (PeerConnection connection in _connections)
        {
            // No 'have' to a peer that holds the piece already (seeds above all): it could not use
            // it, and late in a download that is most messages (each one a wake-up and a write).
            if (!connection.RemoteHave[piece.Index])
            {
                connection.Enqueue(new OutgoingMessage(PeerMessageKind.Have, piece.Index));
            }

            if (connection.AmInterested)
            {
                UpdateInterest(connection);
            }
        }

        if (_picker.IsComplete && _completedAfter is null)
        {
            _completedAfter = _clock.Elapsed;
            _ = Task.Run(async () =>
            {
                try
                {
                    await _store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    _completion.TrySetResult();
                }
                catch (Exception error) when (error is System.IO.IOException or ObjectDisposedException)
                {
                    _completion.TrySetException(error);
                }

                try
                {
                    _announceNow.Release();
                }
                catch (ObjectDisposedException)
                {
                }
            });
            foreach (PeerConnection connection in _connections.ToArray())
            {
                DisconnectIfBothComplete(connection);
            }
        }
    }

    private void PieceFailed(PieceProgress piece)
    {
        _hashFailures++;
        _wasted += piece.Size;
        foreach (object contributor in piece.Contributors)
        {
            var connection = (PeerConnection)contributor;
            // A piece from one peer alone is that peer's fault; shared blame needs a second failure.
            connection.BadPieces += piece.Contributors.Count == 1 ? _settings.BanAfterBadPieces : 1;
            if (connection.BadPieces >= _settings.BanAfterBadPieces && _bannedPeerIds.Add(connection.PeerIdText))
            {
                _banned++;
                Diagnostic?.Invoke($"peer {connection.RemoteEndPoint} banned: piece {piece.Index} failed its hash check");
                if (_candidates.TryGetValue(connection.RemoteEndPoint, out PeerCandidate? candidate))
                {
                    candidate.Ban();
                }

                connection.Close();
            }
        }

        _picker.PieceFailed(piece);
        foreach (PeerConnection connection in _connections)
        {
            RequestMore(connection);
        }
    }

    private void DisconnectIfBothComplete(PeerConnection connection)
    {
        if (_picker.IsComplete && connection.RemoteHave.AllSet)
        {
            connection.Close();
        }
    }

    private void UpdateInterest(PeerConnection connection)
    {
        bool interesting = _picker.IsInteresting(connection.RemoteHave);
        if (interesting != connection.AmInterested)
        {
            connection.AmInterested = interesting;
            connection.Enqueue(new OutgoingMessage(interesting ? PeerMessageKind.Interested : PeerMessageKind.NotInterested));
        }

        RequestMore(connection);
    }

    private void RequestMore(PeerConnection connection)
    {
        if (connection.PeerChoking || !connection.AmInterested || connection.IsClosed)
        {
            return;
        }

        // Requests go out in batches of a quarter of the queue, not one per block received: the
        // sender then gets several in one segment and answers them with one write, and both sides
        // wake once per batch instead of once per 16 KiB.
        int depth = QueueDepth(connection);
        int room = depth - connection.Outstanding.Count;
        if (room <= 0 || (room < Math.Max(1, depth / RequestBatchDivisor) && connection.Outstanding.Count > 0))
        {
            return;
        }

        _scratch.Clear();
        if (connection.RemoteHave.AllSet)
        {
            (int seeds, int rank, int downloading) = SeedView();
            _picker.Pick(connection.RemoteHave, room, connection.Outstanding, _scratch, seeds, (rank, downloading));
        }
        else
        {
            _picker.Pick(connection.RemoteHave, room, connection.Outstanding, _scratch);
        }

        foreach (BlockRequest request in _scratch)
        {
            connection.Outstanding.Add(request);
            connection.Enqueue(new OutgoingMessage(PeerMessageKind.Request, request.Piece, request.Begin, request.Length));
        }
    }

    /// <summary>A connection's requests are topped up once a 1/this of its queue is free.</summary>
    internal const int RequestBatchDivisor = 4;

    private int QueueDepth(PeerConnection connection)
    {
        double blocks = connection.DownloadRate * _settings.RequestQueueTime.TotalSeconds / PeerWireLimits.BlockLength;
        return (int)Math.Clamp(Math.Ceiling(blocks) + 2 + (blocks / RequestBatchDivisor), _settings.MinOutstandingRequests, _settings.MaxOutstandingRequests);
    }

    /// <summary>
    /// Connected peers holding every piece (pieces only they hold are the ones to ask a seed for),
    /// and our stripe: our rank by peer id among the downloading peers we see (ourselves included),
    /// and their count. In a swarm where everyone is connected to everyone, each peer computes the
    /// same ranks.
    /// </summary>
    private (int Seeds, int Rank, int Downloading) SeedView()
    {
        int seeds = 0;
        int rank = 0;
        int downloading = 1;
        foreach (PeerConnection connection in _connections)
        {
            if (connection.RemoteHave.AllSet)
            {
                seeds++;
            }
            else
            {
                downloading++;
                if (connection.PeerId.AsSpan().SequenceCompareTo(_peerId) < 0)
                {
                    rank++;
                }
            }
        }

        return (seeds, rank, downloading);
    }

    private void ReleaseOutstanding(PeerConnection connection)
    {
        foreach (BlockRequest request in connection.Outstanding)
        {
            _picker.ReleaseRequest(request);
        }

        connection.Outstanding.Clear();
        foreach (PeerConnection other in _connections)
        {
            if (other != connection)
            {
                RequestMore(other);
            }
        }
    }

    private async Task MaintenanceLoopAsync()
    {
        CancellationToken token = _stopping.Token;
        using var timer = new PeriodicTimer(MaintenanceInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                var dial = new List<IPEndPoint>();
                lock (_gate)
                {
                    TimeSpan now = _clock.Elapsed;
                    foreach (PeerConnection connection in _connections.ToArray())
                    {
                        connection.SampleRate();
                        if (connection.SinceReceived > _settings.IdleTimeout)
                        {
                            connection.Close();
                        }
                        else if (connection.SinceSent > _settings.KeepAliveInterval)
                        {
                            connection.Enqueue(new OutgoingMessage(PeerMessageKind.KeepAlive));
                        }

                        if (connection.Outstanding.Count == 0)
                        {
                            // Requests follow events (a block, a have, an unchoke); a connection
                            // with nothing asked of it gets another look here, whatever was missed.
                            RequestMore(connection);
                        }
                    }

                    if (!_settings.UnchokeAll && now - _lastChoke >= ChokeInterval)
                    {
                        _lastChoke = now;
                        Rechoke();
                    }

                    foreach ((IPEndPoint endPoint, PeerCandidate candidate) in _candidates)
                    {
                        // Seeders dial too: the tracker hands them leechers, and some clients (transmission)
                        // never dial loopback or private addresses themselves.
                        if (_connections.Count + _connecting >= _settings.MaxConnections || _connecting >= 16)
                        {
                            break;
                        }

                        if (candidate.ShouldDial(now) && !_connections.Any(connection => connection.RemoteEndPoint.Equals(endPoint)))
                        {
                            candidate.Dialling();
                            _connecting++;
                            dial.Add(endPoint);
                        }
                    }
                }

                foreach (IPEndPoint endPoint in dial)
                {
                    _ = Task.Run(() => ConnectAsync(endPoint));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Rechoke()
    {
        var interested = _connections.Where(connection => connection.PeerInterested).ToList();
        var keep = interested.OrderByDescending(connection => connection.RecentDownload).Take(_settings.UploadSlots).ToHashSet();
        var others = interested.Where(connection => !keep.Contains(connection)).ToList();
        if (others.Count > 0)
        {
            keep.Add(others[_random.Next(others.Count)]); // optimistic unchoke
        }

        foreach (PeerConnection connection in _connections)
        {
            bool choke = !keep.Contains(connection);
            if (choke != connection.AmChoking)
            {
                connection.AmChoking = choke;
                connection.Enqueue(new OutgoingMessage(choke ? PeerMessageKind.Choke : PeerMessageKind.Unchoke));
            }

            connection.RecentDownload = 0;
        }
    }

    private SwarmAnnounce MakeAnnounce(SwarmAnnounceEvent announceEvent)
    {
        SwarmStatistics statistics = GetStatistics();
        return new SwarmAnnounce(_torrent.InfoHash, _peerId, LocalEndPoint.Port, statistics.Uploaded, statistics.Downloaded, statistics.TotalBytes - statistics.BytesHave, announceEvent, _settings.AnnounceNumWant);
    }

    private async Task TrackerLoopAsync()
    {
        CancellationToken token = _stopping.Token;
        SwarmAnnounceEvent next = SwarmAnnounceEvent.Started;
        int failures = 0;
        while (!token.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                SwarmAnnounceResponse response = await _tracker!.AnnounceAsync(MakeAnnounce(next), timeout.Token).ConfigureAwait(false);
                AddPeers(response.Peers);
                if (next != SwarmAnnounceEvent.None)
                {
                    Diagnostic?.Invoke($"announced {next.ToString().ToLowerInvariant()}: {response.Peers.Count} peers");
                }
                lock (_gate)
                {
                    if (next == SwarmAnnounceEvent.Completed || (next == SwarmAnnounceEvent.Started && _picker.IsComplete))
                    {
                        _completionAnnounced = true;
                    }
                }

                next = SwarmAnnounceEvent.None;
                failures = 0;
                wait = response.Interval > TimeSpan.Zero ? response.Interval : _settings.DefaultAnnounceInterval;
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                // Retry soon, backing off to the announce interval: a restarted tracker is found again.
                failures++;
                wait = TimeSpan.FromMilliseconds(Math.Min(_settings.DefaultAnnounceInterval.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 8))));
                Diagnostic?.Invoke($"announce failed ({error.GetType().Name}: {error.Message}); retrying in {wait.TotalSeconds:0.0} s");
            }

            try
            {
                await _announceNow.WaitAsync(wait, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_gate)
            {
                if (_picker.IsComplete && !_completionAnnounced && next == SwarmAnnounceEvent.None)
                {
                    next = SwarmAnnounceEvent.Completed;
                }
            }
        }
    }
}
