using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker.Http;
using Murder.Core.Tracker.Ledger;

namespace Murder.Core.Tracker.Server;

/// <summary>
/// The tracker's socket edge: a small, bounded HTTP/1.1 server over System.Net.Sockets (no URL
/// reservation, no administrator rights on Windows). Connection limit, a deadline for every
/// request (slow clients are cut off), keep-alive with an idle limit, a header size limit, and no
/// buffer held by an idle connection. Requests go to the sans-IO <see cref="TrackerEngine"/>.
/// Most BitTorrent clients open a new connection per announce, so a connection whose request is
/// already in is answered and closed on the accepting thread without waiting or changing thread;
/// only connections that must wait (keep-alive, slow or partial requests, large responses) go on
/// asynchronously on the thread pool.
/// </summary>
public sealed class TrackerServer : IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ExpiryInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ScanInterval = TimeSpan.FromSeconds(1);

    // Linux's IPPROTO_TCP, TCP_CORK and TCP_DEFER_ACCEPT (netinet/tcp.h).
    private const int LinuxIpProtoTcp = 6;
    private const int LinuxTcpCork = 3;
    private const int LinuxTcpDeferAccept = 9;
    private const int DeferAcceptSeconds = 1;

    // One accepting thread per two cores, at most four: on 2 cores, one thread served more
    // connections per CPU-second than two.
    private static readonly int AcceptThreadCount = Math.Clamp(Environment.ProcessorCount / 2, 1, 4);

    private readonly TrackerOptions _options;
    private readonly IPEndPoint _requested;
    private readonly string? _torrentDirectory;
    private readonly Action<string> _log;
    private readonly SwarmRegistry _registry;
    private readonly DeployLedgerRegistry _ledgers;
    private readonly TrackerEngine _engine;
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private TorrentDirectoryWatcher? _watcher;
    private LedgerStore? _ledgerStore;
    private Socket? _listener;
    private long _nextConnectionId;
    private int _connectionCount;
    private int _disposed;

    /// <summary>Creates a tracker that will listen on <paramref name="endpoint"/> (port 0 picks a free port).</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="endpoint">Where to listen. IPv6Any listens on IPv4 too where the system allows.</param>
    /// <param name="torrentDirectory">Registered torrents come from the .torrent files here; null for none.</param>
    /// <param name="log">Receives one line per notable event (registrations, refused files, socket errors).</param>
    /// <param name="time">The clock for peer expiry; the system clock when null.</param>
    public TrackerServer(TrackerOptions options, IPEndPoint endpoint, string? torrentDirectory = null, Action<string>? log = null, TimeProvider? time = null)
    {
        options.Validate();
        _options = options;
        _requested = endpoint;
        _torrentDirectory = string.IsNullOrEmpty(torrentDirectory) ? null : torrentDirectory;
        _log = log ?? (_ => { });
        _registry = new SwarmRegistry(options, time ?? TimeProvider.System);
        _ledgers = new DeployLedgerRegistry(options, _registry.Time);
        _engine = new TrackerEngine(_registry, _ledgers);
    }

    /// <summary>Where the tracker listens, once started.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("The tracker is not started."));

    /// <summary>Open connections now.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Peers across all torrents now.</summary>
    public int PeerCount => _registry.PeerCount;

    /// <summary>Torrents known now.</summary>
    public int TorrentCount => _registry.TorrentCount;

    internal SwarmRegistry Registry => _registry;

    /// <summary>The deploy ledgers (reports from peers, read at /deploy).</summary>
    internal DeployLedgerRegistry Ledgers => _ledgers;

    /// <summary>Registers a torrent directly (besides the torrent directory); <paramref name="size"/> in bytes, 0 when unknown.</summary>
    public void Register(InfoHash infoHash, string? name, long size = 0) => _registry.Register(infoHash, name, size);

    /// <summary>
    /// Keeps the deploy ledgers in <paramref name="directory"/>: loads what it holds now (call
    /// before <see cref="RunAsync"/>; unreadable files are logged and set aside) and, while
    /// serving, writes changed ledgers there every <see cref="TrackerOptions.LedgerSaveInterval"/>
    /// and once more when stopping. Returns how many ledgers were loaded.
    /// </summary>
    public int PersistLedgers(string directory)
    {
        if (_ledgerStore is not null)
        {
            throw new InvalidOperationException("The deploy ledgers are already persisted.");
        }

        _ledgerStore = new LedgerStore(directory, _ledgers, _options, _log);
        return _ledgerStore.Load();
    }

    /// <summary>
    /// Binds and listens, and registers the torrents already in the torrent directory. Throws a
    /// <see cref="MurderException"/> with ErrorId TrackerPortInUse when the port is taken.
    /// </summary>
    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The tracker is already started.");
        }

        _listener = Bind(_requested);
        if (_torrentDirectory is not null)
        {
            _watcher = new TorrentDirectoryWatcher(_torrentDirectory, _registry, _log);
            _watcher.Scan();
        }
    }

    /// <summary>
    /// Checks that a port can be listened on, without keeping it: a clear TrackerPortInUse error
    /// before a background tracker is launched.
    /// </summary>
    public static void EnsurePortAvailable(IPEndPoint endpoint) => Bind(endpoint).Dispose();

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled, then closes every connection.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Socket listener = _listener ?? throw new InvalidOperationException("Call Start first.");
        using var housekeeping = new CancellationTokenSource();
        Task background = HousekeepingAsync(housekeeping.Token);
        try
        {
            var acceptors = new Task[AcceptThreadCount];
            for (int i = 0; i < acceptors.Length; i++)
            {
                acceptors[i] = StartAcceptThread(listener, cancellationToken);
            }

            // Closing the listener is what ends a blocking accept.
            using (cancellationToken.Register(static state => ((Socket)state!).Dispose(), listener))
            {
                await Task.WhenAll(acceptors).ConfigureAwait(false);
            }
        }
        finally
        {
            await housekeeping.CancelAsync().ConfigureAwait(false);
            await background.ConfigureAwait(false);
            Dispose();
            _ledgerStore?.SaveChanged();
        }
    }

    /// <summary>Stops listening and closes every connection.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _listener?.Dispose();
        foreach (Connection connection in _connections.Values)
        {
            connection.Socket.Dispose();
        }
    }

    private static Socket Bind(IPEndPoint endpoint)
    {
        try
        {
            return Listen(endpoint);
        }
        catch (SocketException error) when (endpoint.Address.Equals(IPAddress.IPv6Any) && error.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
        {
            // No IPv6 on this machine: listen on IPv4 only.
            return Bind(new IPEndPoint(IPAddress.Any, endpoint.Port));
        }
        catch (SocketException error) when (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new MurderException(
                "TrackerPortInUse",
                MurderErrorCategory.ResourceExists,
                $"Port {endpoint.Port} on {endpoint.Address} is already in use: another tracker or program listens there. Stop it (Stop-MurderTracker -Port {endpoint.Port}) or choose another port.",
                error)
            {
                TargetObject = endpoint.Port,
            };
        }
        catch (SocketException error)
        {
            throw new MurderException(
                "TrackerBindFailed",
                MurderErrorCategory.ConnectionError,
                $"Cannot listen on {endpoint}: {error.Message}. Check the bind address is one of this machine's and the port is allowed.",
                error)
            {
                TargetObject = endpoint.ToString(),
            };
        }
    }

    private static Socket Listen(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endpoint);
            DeferAccept(socket);
            socket.Listen(1024);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// On Linux, hands a connection to accept only once its first bytes are in (TCP_DEFER_ACCEPT),
    /// so the request can be answered at once on the accepting thread. A connection that sends
    /// nothing is handed over anyway after about <see cref="DeferAcceptSeconds"/>, and its request
    /// deadline starts then.
    /// </summary>
    private static void DeferAccept(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            Span<byte> seconds = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(seconds, DeferAcceptSeconds);
            socket.SetRawSocketOption(LinuxIpProtoTcp, LinuxTcpDeferAccept, seconds);
        }
        catch (SocketException)
        {
            // An old or unusual kernel: connections are then accepted at once and wait as usual.
        }
    }

    /// <summary>
    /// On Linux, holds what is sent until the socket is closed (TCP_CORK), so a short answer leaves
    /// in one segment with the FIN instead of two: a quarter less tracker CPU per announce on
    /// loopback. Only for connections closed right after their answer (closing sends at once).
    /// </summary>
    private static void HoldUntilClose(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            Span<byte> on = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(on, 1);
            socket.SetRawSocketOption(LinuxIpProtoTcp, LinuxTcpCork, on);
        }
        catch (SocketException)
        {
            // Then the answer and the FIN leave in two segments, as elsewhere.
        }
    }

    private Task StartAcceptThread(Socket listener, CancellationToken cancellationToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                AcceptLoop(listener, cancellationToken);
                stopped.SetResult();
            }
            catch (Exception error)
            {
                // Not a connection's fault (those are caught per connection): stop the tracker and
                // let RunAsync report it, rather than take the process down from this thread.
                _log($"Accepting stopped: {error.GetType().Name}: {error.Message}");
                listener.Dispose();
                stopped.SetException(error);
            }
        })
        {
            IsBackground = true,
            Name = "Murder tracker accept",
        };
        thread.Start();
        return stopped.Task;
    }

    /// <summary>
    /// Blocking accepts on a dedicated thread: the kernel wakes this thread when a connection is
    /// ready, with no event-loop round trip or thread-pool hop, and the request is served right here
    /// when that needs no waiting (<see cref="ServeAccepted"/>).
    /// </summary>
    private void AcceptLoop(Socket listener, CancellationToken cancellationToken)
    {
        using var scratch = new AcceptScratch(_options.MaxRequestHeaderBytes);
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = listener.Accept();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException error)
            {
                if (cancellationToken.IsCancellationRequested || Volatile.Read(ref _disposed) != 0)
                {
                    return;
                }

                // Out of file descriptors and the like: keep serving the connections we have.
                _log($"Accept failed: {error.SocketErrorCode}.");
                cancellationToken.WaitHandle.WaitOne(100);
                continue;
            }

            if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _connectionCount);
                RefuseBusy(socket, scratch.Output);
                continue;
            }

            ServeAccepted(socket, scratch);
        }
    }

    private static void RefuseBusy(Socket socket, ResponseBuilder response)
    {
        try
        {
            socket.Blocking = false;
            ArraySegment<byte> bytes = TrackerEngine.Busy(response);
            socket.Send(bytes, SocketFlags.None, out _);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>
    /// Serves a new connection on the accepting thread as far as that needs no waiting: one
    /// non-blocking receive, at most one request answered (an announce or a scrape of named
    /// torrents, whose cost is bounded), one non-blocking send. A connection that
    /// asked to close and got its whole answer is closed here (the common case for BitTorrent
    /// clients); anything that must wait (no request yet, a partial request, a response that did not
    /// fit, keep-alive) goes on in <see cref="ServeAsync"/> on the thread pool with what was received.
    /// </summary>
    private void ServeAccepted(Socket socket, AcceptScratch scratch)
    {
        bool handedOff = false;
        try
        {
            // Nothing on this thread may wait for a client.
            socket.Blocking = false;
            byte[] buffer = scratch.Buffer;
            int limit = _options.MaxRequestHeaderBytes;
            long now = Environment.TickCount64;
            int received = socket.Receive(buffer, 0, limit, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                handedOff = HandOff(socket, ClientOf(socket), default, default, now + RequestTimeoutMs);
                return;
            }

            if (error != SocketError.Success || received == 0)
            {
                return;
            }

            HttpParseStatus status = HttpRequestParser.TryParse(buffer.AsSpan(0, received), limit, out HttpRequestHead head);
            if (status == HttpParseStatus.Incomplete)
            {
                handedOff = HandOff(socket, ClientOf(socket), buffer.AsSpan(0, received), default, now + RequestTimeoutMs);
                return;
            }

            if (status != HttpParseStatus.Complete)
            {
                ArraySegment<byte> rejection = TrackerEngine.Reject(status, head.Error, scratch.Output);
                int rejectionSent = socket.Send(rejection.Array!, rejection.Offset, rejection.Count, SocketFlags.None, out error);
                if (error is not (SocketError.Success or SocketError.WouldBlock))
                {
                    return;
                }

                if (rejectionSent < rejection.Count)
                {
                    handedOff = HandOff(socket, ClientOf(socket), default, new Unsent(rejection[rejectionSent..], CloseAfter: true), now + RequestTimeoutMs);
                    return;
                }

                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            if (!TrackerEngine.IsBounded(buffer.AsSpan(0, received), head))
            {
                // The status page and a scrape of everything grow with the number of torrents: they
                // are built on the thread pool, never holding up the accepting thread.
                handedOff = HandOff(socket, ClientOf(socket), buffer.AsSpan(0, received), default, now + RequestTimeoutMs);
                return;
            }

            bool keepAlive = _engine.Handle(buffer.AsSpan(0, received), head, ClientOf(socket), scratch.Output, out ArraySegment<byte> response);
            if (keepAlive)
            {
                // Later responses on this connection must not wait for the acknowledgement of this one.
                socket.NoDelay = true;
            }
            else
            {
                HoldUntilClose(socket);
            }

            int sent = socket.Send(response.Array!, response.Offset, response.Count, SocketFlags.None, out error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                return;
            }

            if (sent < response.Count || keepAlive)
            {
                ReadOnlySpan<byte> rest = keepAlive ? buffer.AsSpan(head.Length, received - head.Length) : default;
                long deadline = now + (rest.IsEmpty && sent == response.Count ? KeepAliveTimeoutMs : RequestTimeoutMs);
                handedOff = HandOff(socket, ClientOf(socket), rest, new Unsent(response[sent..], CloseAfter: !keepAlive), deadline);
            }

            // Otherwise done: closing sends the FIN after the response.
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception error)
        {
            // A bug must cost one connection, never the tracker.
            _log($"Connection error: {error.GetType().Name}: {error.Message}");
        }
        finally
        {
            if (!handedOff)
            {
                socket.Dispose();
                Interlocked.Decrement(ref _connectionCount);
            }
        }
    }

    private long RequestTimeoutMs => (long)_options.RequestTimeout.TotalMilliseconds;

    private long KeepAliveTimeoutMs => (long)_options.KeepAliveTimeout.TotalMilliseconds;

    private static TrackerClientInfo ClientOf(Socket socket)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        IPAddress remoteAddress = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        return new TrackerClientInfo(PeerAddress.From(remoteAddress), IPAddress.IsLoopback(remoteAddress));
    }

    /// <summary>
    /// Passes a connection to <see cref="ServeAsync"/>, with copies of the bytes received but not yet
    /// answered and of the response not yet sent (the originals belong to the accepting thread).
    /// </summary>
    private bool HandOff(Socket socket, TrackerClientInfo client, ReadOnlySpan<byte> received, Unsent unsent, long deadline)
    {
        byte[]? request = null;
        if (!received.IsEmpty)
        {
            request = ArrayPool<byte>.Shared.Rent(_options.MaxRequestHeaderBytes);
            received.CopyTo(request);
        }

        byte[]? response = null;
        if (unsent.Bytes.Count > 0)
        {
            response = ArrayPool<byte>.Shared.Rent(unsent.Bytes.Count);
            unsent.Bytes.AsSpan().CopyTo(response);
        }

        var connection = new Connection(Interlocked.Increment(ref _nextConnectionId), socket, deadline);
        _connections[connection.Id] = connection;
        var start = new Carryover(client, request, received.Length, response, unsent.Bytes.Count, unsent.CloseAfter);
        _ = ServeAsync(connection, start);
        return true;
    }

    private async Task ServeAsync(Connection connection, Carryover start)
    {
        // Off the accepting thread from the first await on.
        await Task.Yield();
        Socket socket = connection.Socket;
        byte[]? buffer = start.Request;
        byte[]? unsent = start.Response;
        ResponseBuilder? output = null;
        int limit = _options.MaxRequestHeaderBytes;
        long requestTimeout = RequestTimeoutMs;
        long idleTimeout = KeepAliveTimeoutMs;
        try
        {
            socket.NoDelay = true;
            if (unsent is not null)
            {
                await SendAsync(socket, new ArraySegment<byte>(unsent, 0, start.ResponseLength)).ConfigureAwait(false);
                ArrayPool<byte>.Shared.Return(unsent);
                unsent = null;
                if (start.CloseAfterResponse)
                {
                    return;
                }
            }

            TrackerClientInfo client = start.Client;
            int filled = start.RequestLength;
            // Bytes carried over from the accepting thread are answered before anything is received.
            bool parseFirst = filled > 0;
            while (true)
            {
                if (!parseFirst)
                {
                    if (filled == 0)
                    {
                        // Idle: wait for data without holding a buffer, so idle connections cost little.
                        if (buffer is not null)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = null;
                        }

                        if (socket.Available == 0)
                        {
                            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                        }

                        buffer = ArrayPool<byte>.Shared.Rent(limit);
                        connection.Deadline = Environment.TickCount64 + requestTimeout;
                    }

                    int received = await socket.ReceiveAsync(buffer!.AsMemory(filled, limit - filled), SocketFlags.None).ConfigureAwait(false);
                    if (received == 0)
                    {
                        return;
                    }

                    filled += received;
                }

                parseFirst = false;
                output ??= new ResponseBuilder();
                int offset = 0;
                while (offset < filled)
                {
                    HttpParseStatus status = HttpRequestParser.TryParse(buffer.AsSpan(offset, filled - offset), limit, out HttpRequestHead head);
                    if (status == HttpParseStatus.Incomplete)
                    {
                        break;
                    }

                    if (status != HttpParseStatus.Complete)
                    {
                        await SendAsync(socket, TrackerEngine.Reject(status, head.Error, output)).ConfigureAwait(false);
                        socket.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    bool keepAlive = _engine.Handle(buffer.AsSpan(offset, filled - offset), head, client, output, out ArraySegment<byte> response);
                    connection.Deadline = Environment.TickCount64 + requestTimeout;
                    await SendAsync(socket, response).ConfigureAwait(false);
                    offset += head.Length;
                    if (!keepAlive)
                    {
                        return;
                    }
                }

                if (offset > 0)
                {
                    buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                    filled -= offset;
                }

                if (filled == 0)
                {
                    connection.Deadline = Environment.TickCount64 + idleTimeout;
                }
                else if (filled >= limit)
                {
                    await SendAsync(socket, TrackerEngine.Reject(HttpParseStatus.TooLarge, "the request head is too large", output)).ConfigureAwait(false);
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception error)
        {
            // A bug must cost one connection, never the tracker.
            _log($"Connection error: {error.GetType().Name}: {error.Message}");
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (unsent is not null)
            {
                ArrayPool<byte>.Shared.Return(unsent);
            }

            output?.Dispose();
            socket.Dispose();
            _connections.TryRemove(connection.Id, out _);
            Interlocked.Decrement(ref _connectionCount);
        }
    }

    private static async ValueTask SendAsync(Socket socket, ArraySegment<byte> response)
    {
        ReadOnlyMemory<byte> remaining = response;
        while (!remaining.IsEmpty)
        {
            int sent = await socket.SendAsync(remaining, SocketFlags.None).ConfigureAwait(false);
            remaining = remaining[sent..];
        }
    }

    private async Task HousekeepingAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SweepInterval);
        long nextExpiry = Environment.TickCount64 + (long)ExpiryInterval.TotalMilliseconds;
        long nextScan = Environment.TickCount64 + (long)ScanInterval.TotalMilliseconds;
        long saveInterval = (long)_options.LedgerSaveInterval.TotalMilliseconds;
        long nextSave = Environment.TickCount64 + saveInterval;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                CloseExpiredConnections(now);
                if (now >= nextExpiry)
                {
                    nextExpiry = now + (long)ExpiryInterval.TotalMilliseconds;
                    _registry.ExpirePeers();
                }

                if (_ledgerStore is not null && now >= nextSave)
                {
                    nextSave = now + saveInterval;
                    _ledgerStore.SaveChanged();
                }

                if (_watcher is not null && now >= nextScan)
                {
                    nextScan = now + (long)ScanInterval.TotalMilliseconds;
                    _watcher.Scan();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void CloseExpiredConnections(long now)
    {
        foreach (KeyValuePair<long, Connection> pair in _connections)
        {
            if (now > pair.Value.Deadline)
            {
                // Closing the socket ends its pending receive or send; ServeAsync cleans up.
                pair.Value.Socket.Dispose();
            }
        }
    }


    /// <summary>A response, or what is left of it, to send before anything else.</summary>
    private readonly record struct Unsent(ArraySegment<byte> Bytes, bool CloseAfter);

    /// <summary>What <see cref="ServeAsync"/> starts from: rented copies it returns to the pool.</summary>
    private readonly record struct Carryover(TrackerClientInfo Client, byte[]? Request, int RequestLength, byte[]? Response, int ResponseLength, bool CloseAfterResponse);

    /// <summary>An accepting thread's own buffers, reused for every connection it serves at once.</summary>
    private sealed class AcceptScratch : IDisposable
    {
        public AcceptScratch(int requestLimit)
        {
            Buffer = new byte[requestLimit];
        }

        public byte[] Buffer { get; }

        public ResponseBuilder Output { get; } = new();

        public void Dispose() => Output.Dispose();
    }

    private sealed class Connection
    {
        private long _deadline;

        public Connection(long id, Socket socket, long deadline)
        {
            Id = id;
            Socket = socket;
            _deadline = deadline;
        }

        public long Id { get; }

        public Socket Socket { get; }

        /// <summary>When the connection is closed unless it makes progress (Environment.TickCount64).</summary>
        public long Deadline
        {
            get => Volatile.Read(ref _deadline);
            set => Volatile.Write(ref _deadline, value);
        }
    }
}
