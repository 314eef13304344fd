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

namespace Murder.Core.Tracker.Server;

/// <summary>
/// The tracker's socket edge: a small, bounded HTTP/1.1 server over System.Net.Sockets (no URL
/// reservation, no administrator rights on Windows). Connection limit, a deadline for every
/// request (slow clients are cut off), keep-alive with an idle limit, a header size limit, and no
/// buffer held by an idle connection. Requests go to the sans-IO <see cref="TrackerEngine"/>.
/// </summary>
public sealed class TrackerServer : IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ExpiryInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ScanInterval = TimeSpan.FromSeconds(1);

    private readonly TrackerOptions _options;
    private readonly IPEndPoint _requested;
    private readonly string? _torrentDirectory;
    private readonly Action<string> _log;
    private readonly SwarmRegistry _registry;
    private readonly TrackerEngine _engine;
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private TorrentDirectoryWatcher? _watcher;
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
        _engine = new TrackerEngine(_registry);
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

    /// <summary>Registers a torrent directly (besides the torrent directory).</summary>
    public void Register(InfoHash infoHash, string? name) => _registry.Register(infoHash, name);

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
            // More than one accept loop, so a burst of new connections (clients that close after
            // each announce) does not queue behind one thread.
            var acceptors = new Task[Math.Clamp(Environment.ProcessorCount, 2, 4)];
            for (int i = 0; i < acceptors.Length; i++)
            {
                acceptors[i] = AcceptLoopAsync(listener, cancellationToken);
            }

            await Task.WhenAll(acceptors).ConfigureAwait(false);
        }
        finally
        {
            await housekeeping.CancelAsync().ConfigureAwait(false);
            await background.ConfigureAwait(false);
            Dispose();
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
            socket.Listen(1024);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        using var busyResponse = new ResponseBuilder();
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException error)
            {
                // Out of file descriptors and the like: keep serving the connections we have.
                _log($"Accept failed: {error.SocketErrorCode}.");
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _connectionCount);
                RefuseBusy(socket, busyResponse);
                continue;
            }

            var connection = new Connection(Interlocked.Increment(ref _nextConnectionId), socket, Environment.TickCount64 + (long)_options.RequestTimeout.TotalMilliseconds);
            _connections[connection.Id] = connection;
            _ = ServeAsync(connection);
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

    private async Task ServeAsync(Connection connection)
    {
        // Run the connection off the accept loop's thread from the first await on.
        await Task.Yield();
        Socket socket = connection.Socket;
        byte[]? buffer = null;
        var output = new ResponseBuilder();
        int limit = _options.MaxRequestHeaderBytes;
        long requestTimeout = (long)_options.RequestTimeout.TotalMilliseconds;
        long idleTimeout = (long)_options.KeepAliveTimeout.TotalMilliseconds;
        try
        {
            socket.NoDelay = true;
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            IPAddress remoteAddress = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            var client = new TrackerClientInfo(PeerAddress.From(remoteAddress), IPAddress.IsLoopback(remoteAddress));
            int filled = 0;
            while (true)
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

                int received = await socket.ReceiveAsync(buffer.AsMemory(filled, limit - filled), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    return;
                }

                filled += received;
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
                        return;
                    }

                    bool keepAlive = _engine.Handle(buffer.AsSpan(offset, filled - offset), head, client, output, out ArraySegment<byte> response);
                    connection.Deadline = Environment.TickCount64 + requestTimeout;
                    await SendAsync(socket, response).ConfigureAwait(false);
                    offset += head.Length;
                    if (!keepAlive)
                    {
                        socket.Shutdown(SocketShutdown.Send);
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

            output.Dispose();
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
