using System;
using System.Buffers;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm.Engine;
using Murder.Core.Swarm.Sessions;
using Murder.Core.Swarm.Transport;

namespace Murder.Core.Swarm;

/// <summary>
/// One torrent's swarm over sockets: listens for peers, connects to the ones the tracker names,
/// downloads missing pieces (verified with SHA-1 before they are written or served) and uploads
/// what it has. The BitTorrent logic is the <see cref="SwarmEngine"/>'s; this class is its edge:
/// sockets, the piece store, the tracker and the clock. Every call into the engine is made under
/// one gate, held only for the engine's bookkeeping, never across I/O. A seeder is a swarm whose
/// store is already complete.
/// </summary>
public sealed class TorrentSwarm : IAsyncDisposable, IConnectionOwner
{
    /// <summary>A connection's requests are topped up once a 1/this of its queue is free.</summary>
    internal const int RequestBatchDivisor = Picking.RequestScheduler.RequestBatchDivisor;

    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromMilliseconds(250);
    private readonly object _gate = new();
    private readonly TorrentMetaInfo _torrent;
    private readonly IPieceStore _store;
    private readonly SwarmSettings _settings;
    private readonly ISwarmTracker? _tracker;
    private readonly TimeProvider _time;
    private readonly SwarmEngine _engine;
    private readonly HashSet<Task> _work = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RateLimiter? _uploadLimit;
    private Socket? _listener;
    private bool _disposed;

    private TorrentSwarm(TorrentMetaInfo torrent, IPieceStore store, Bitfield have, SwarmSettings settings, ISwarmTracker? tracker, TimeProvider time)
    {
        _torrent = torrent;
        _store = store;
        _settings = settings;
        _tracker = tracker;
        _time = time;
        _engine = new SwarmEngine(torrent, have, settings, settings.PeerId ?? NewPeerId(), new Actions(this), time, new Random(RandomNumberGenerator.GetInt32(int.MaxValue)), tracker is not null);
        _uploadLimit = settings.MaxUploadRate > 0 ? new RateLimiter(settings.MaxUploadRate, time) : null;
        if (have.AllSet)
        {
            _completion.TrySetResult();
        }
    }

    /// <summary>The torrent.</summary>
    public TorrentMetaInfo Torrent => _torrent;

    /// <summary>Where we listen for peers.</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Our peer id.</summary>
    public ReadOnlyMemory<byte> PeerId => _engine.PeerId;

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

        var swarm = new TorrentSwarm(torrent, store, have, settings, tracker, TimeProvider.System);
        swarm.Listen();
        swarm.Run(swarm.AcceptLoopAsync);
        swarm.Run(swarm.MaintenanceLoopAsync);
        lock (swarm._gate)
        {
            swarm._engine.Start();
        }

        return swarm;
    }

    /// <summary>Adds peers to connect to (from a tracker, or given directly).</summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers)
    {
        lock (_gate)
        {
            _engine.AddPeers(peers);
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public SwarmStatistics GetStatistics()
    {
        lock (_gate)
        {
            return _engine.GetStatistics();
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
        lock (_gate)
        {
            _engine.Stop();
        }

        Task[] work;
        lock (_work)
        {
            work = new Task[_work.Count];
            _work.CopyTo(work);
        }

        try
        {
            await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception error) when (error is OperationCanceledException or TimeoutException or SocketException or ObjectDisposedException or System.IO.IOException or UnauthorizedAccessException)
        {
        }

        if (_tracker is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                SwarmAnnounce stopped;
                lock (_gate)
                {
                    stopped = _engine.MakeAnnounce(SwarmAnnounceEvent.Stopped);
                }

                await _tracker.AnnounceAsync(stopped, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                // Best effort: the tracker expires us anyway.
            }
        }

        lock (_gate)
        {
            _engine.ReleaseBuffers();
        }

        _completion.TrySetCanceled();
        _stopping.Dispose();
    }

    void IConnectionOwner.Receive(SocketPeerConnection connection, in PeerMessage message)
    {
        lock (_gate)
        {
            _engine.Handle(connection.Session!, message);
        }
    }

    bool IConnectionOwner.TakeUpload(SocketPeerConnection connection, BlockRequest block)
    {
        lock (_gate)
        {
            return _engine.TakeUpload(connection.Session!, block);
        }
    }

    ValueTask IConnectionOwner.ThrottleUploadAsync(int bytes, CancellationToken cancellation) =>
        _uploadLimit?.TakeAsync(bytes, cancellation) ?? ValueTask.CompletedTask;

    /// <summary>"-MU0100-" and 12 random characters; from <paramref name="random"/> when given (the simulator's seeded runs).</summary>
    internal static byte[] NewPeerId(Random? random = null)
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        byte[] id = new byte[20];
        "-MU0100-"u8.CopyTo(id);
        for (int index = 8; index < 20; index++)
        {
            id[index] = (byte)alphabet[random?.Next(alphabet.Length) ?? RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return id;
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    /// <summary>Runs background work that <see cref="DisposeAsync"/> waits for.</summary>
    private void Run(Func<Task> work)
    {
        Task task = Task.Run(work);
        lock (_work)
        {
            _work.Add(task);
        }

        task.ContinueWith(
            done =>
            {
                lock (_work)
                {
                    _work.Remove(done);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

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
        _engine.LocalEndPoint = LocalEndPoint;
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

            Run(() => SetUpAsync(socket, null));
        }
    }

    private async Task MaintenanceLoopAsync()
    {
        using var timer = new PeriodicTimer(MaintenanceInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    _engine.Tick();
                }
            }
        }
        catch (OperationCanceledException)
        {
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
                _engine.DialFailed(endPoint);
            }

            return;
        }

        await SetUpAsync(socket, endPoint).ConfigureAwait(false);
    }

    /// <summary>Handshakes on a new socket (we speak first when we dialled) and runs the connection.</summary>
    private async Task SetUpAsync(Socket socket, IPEndPoint? dialled)
    {
        socket.NoDelay = true;
        SocketPeerConnection? connection = null;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PeerHandshake.Length);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_settings.HandshakeTimeout);
            byte[] ours = new PeerHandshake(_torrent.InfoHash, _engine.PeerId).ToBytes();
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
            var link = new SocketPeerConnection(socket, _torrent.PieceCount, _torrent.PieceLength, _store);
            lock (_gate)
            {
                // The engine queues our bitfield; it goes out after our handshake, when the send loop starts.
                link.Session = _engine.Connected(link, remote, theirs.PeerId.Span, dialled);
            }

            if (link.Session is null)
            {
                link.Dispose();
                return;
            }

            connection = link;
            if (dialled is null)
            {
                await socket.SendAsync(ours, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException or PeerProtocolException or MurderException)
        {
            if (error is PeerProtocolException or MurderException)
            {
                Diagnostic?.Invoke($"handshake with {socket.RemoteEndPoint?.ToString() ?? "a peer"} failed: {error.Message}");
            }

            if (connection is not null)
            {
                Disconnected(connection, error);
            }
            else
            {
                socket.Dispose();
                if (dialled is not null)
                {
                    lock (_gate)
                    {
                        _engine.DialFailed(dialled);
                    }
                }
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

    private void Disconnected(SocketPeerConnection connection, Exception? reason)
    {
        connection.Dispose();
        string? why = reason is not null && reason is not OperationCanceledException and not ObjectDisposedException ? reason.Message : null;
        lock (_gate)
        {
            _engine.Disconnected(connection.Session!, why);
        }
    }

    private async Task VerifyAndWriteAsync(PieceProgress piece)
    {
        try
        {
            bool valid = PieceChecker.Matches(piece.Buffer.AsSpan(0, piece.Size), _torrent.GetPieceHash(piece.Index));
            if (valid)
            {
                Exception? failure = null;
                try
                {
                    await _store.WriteAsync((long)piece.Index * _torrent.PieceLength, piece.Buffer.AsMemory(0, piece.Size), _stopping.Token).ConfigureAwait(false);
                }
                catch (System.IO.IOException full) when (DiskSpace.IsDiskFull(full))
                {
                    failure = new MurderException(
                        "InsufficientDiskSpace",
                        MurderErrorCategory.WriteError,
                        $"{Environment.MachineName}: the disk filled up while downloading '{_torrent.Name}' ({_torrent.TotalLength:N0} bytes are needed in all): {full.Message} Free some space and run again; the pieces already written are kept and resumed.",
                        full);
                }
                catch (Exception error) when (error is System.IO.IOException or UnauthorizedAccessException)
                {
                    failure = new MurderException(
                        "PieceWriteFailed",
                        MurderErrorCategory.WriteError,
                        $"Writing piece {piece.Index} of '{_torrent.Name}' failed: {error.Message} Check free space and permissions where the download is stored.",
                        error);
                }

                if (failure is not null)
                {
                    _completion.TrySetException(failure);
                    lock (_gate)
                    {
                        _engine.PieceNotWritten(piece);
                    }

                    return;
                }
            }

            lock (_gate)
            {
                _engine.PieceChecked(piece, valid);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AnnounceAsync(SwarmAnnounce announce)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            SwarmAnnounceResponse response = await _tracker!.AnnounceAsync(announce, timeout.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _engine.AnnounceSucceeded(response);
            }
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            lock (_gate)
            {
                _engine.AnnounceFailed($"{error.GetType().Name}: {error.Message}");
            }
        }
    }

    private async Task FlushAsync()
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
    }

    /// <summary>The engine's requests, carried out off its gate (each returns at once).</summary>
    private sealed class Actions : ISwarmActions
    {
        private readonly TorrentSwarm _swarm;

        public Actions(TorrentSwarm swarm) => _swarm = swarm;

        public void Dial(IPEndPoint endPoint) => _swarm.Run(() => _swarm.ConnectAsync(endPoint));

        public void Verify(PieceProgress piece) => _swarm.Run(() => _swarm.VerifyAndWriteAsync(piece));

        public void Announce(SwarmAnnounce announce) => _swarm.Run(() => _swarm.AnnounceAsync(announce));

        public void Completed() => _swarm.Run(_swarm.FlushAsync);

        public void Diagnostic(string message) => _swarm.Diagnostic?.Invoke(message);
    }
}
