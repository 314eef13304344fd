using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text;
using Murder.Core;
using Murder.Core.MetaInfo;
using Murder.Core.Packaging;
using Murder.Core.PeerWire;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Engine;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;
using Murder.Core.Tracker.Http;

namespace Murder.Sim;

/// <summary>
/// A deploy in virtual time: a seeder and N peers, each a real <see cref="SwarmEngine"/>, and the
/// real <see cref="TrackerEngine"/>, over a modelled network. Blocks are events, not bytes: a
/// block occupies its sender's upload for size/capacity, travels for the latency, and queues at the
/// receiver's download; control messages take the latency alone, in order per connection. Pieces
/// are "hashed" after size/hash speed and always match. Deterministic for a seed: one thread, one
/// event queue ordered by time then by scheduling order, every random draw from seeded generators.
/// </summary>
public sealed class Simulation
{
    private const int ListenPort = 6881;
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private readonly SimulationOptions _options;
    private readonly VirtualClock _clock = new();
    private readonly PriorityQueue<SimEvent, Int128> _events = new();
    private readonly List<SimHost> _hosts = new();
    private readonly Dictionary<IPEndPoint, SimHost> _byEndPoint = new();
    private readonly TorrentMetaInfo _torrent;
    private readonly TrackerEngine _tracker;
    private readonly Uri _announceUrl = new("http://198.19.255.254:6969/announce");
    private readonly byte[] _zeros;
    private readonly int[] _holders;
    private readonly long _latency;
    private long _sequence;
    private long _eventCount;
    private long _announces;
    private int _copies;
    private int _unfinished;
    private int _ephemeralPort = 40_000;
    private static readonly int TraceHost = int.Parse(Environment.GetEnvironmentVariable("MURDER_SIM_TRACE_HOST") ?? "-1", System.Globalization.CultureInfo.InvariantCulture);
    private readonly SortedDictionary<(int, string), long> _trace = new();
    private readonly int[]? _originSends = Environment.GetEnvironmentVariable("MURDER_SIM_TRACE_ORIGIN") is null ? null : new int[1 << 20];
    private readonly List<string> _originLog = new();

    /// <summary>MURDER_SIM_TRACE_WAIT: the peers' upload busy time (ns) by 10 ms of virtual time.</summary>
    private readonly SortedDictionary<int, long>? _busy = Environment.GetEnvironmentVariable("MURDER_SIM_TRACE_WAIT") is null ? null : new();

    /// <summary>MURDER_SIM_TRACE_WAIT: how long blocks waited in the peers' upload queues (FIFO model), by 50 ms of virtual time.</summary>
    private readonly SortedDictionary<(int Bucket, string Sender), (long Count, double Sum, double Max)>? _waits =
        Environment.GetEnvironmentVariable("MURDER_SIM_TRACE_WAIT") is null ? null : new();

    /// <summary>Every host's engine settings but its peer id, read once (trials may override some through the environment).</summary>
    private readonly SwarmSettings _hostSettings;

    /// <summary>Sets up the torrent and the tracker; <see cref="Run"/> does the rest.</summary>
    public Simulation(SimulationOptions options)
    {
        _options = options.Validate();
        int pieceLength = options.PieceLength > 0 ? options.PieceLength : PieceLengthPolicy.Choose(options.Size);
        _torrent = MakeTorrent(options.Size, pieceLength);
        _zeros = new byte[options.BlockLength];
        _holders = new int[_torrent.PieceCount];
        _latency = Nanoseconds(options.Latency);
        _hostSettings = HostSettings(options);
        var registry = new SwarmRegistry(new TrackerOptions(), _clock) { PeerSelection = new Random(options.Seed) };
        registry.Register(_torrent.InfoHash, _torrent.Name);
        _tracker = new TrackerEngine(registry);
    }

    /// <summary>Called now and then with a line saying how far the run is.</summary>
    public Action<string>? Progress { get; init; }

    /// <summary>Runs the deploy to its end (every live peer complete, or the time limit) and measures it.</summary>
    public SimulationResult Run()
    {
        var wall = Stopwatch.StartNew();
        var random = new Random(_options.Seed);
        BuildHosts(random);
        long limit = Nanoseconds(_options.TimeLimit);
        while (_events.TryDequeue(out SimEvent next, out Int128 key))
        {
            long at = (long)(key >> 64);
            if (at > limit || _unfinished == 0)
            {
                break;
            }

            _clock.Now = at;
            if (++_eventCount % 20_000_000 == 0)
            {
                Progress?.Invoke($"{wall.Elapsed.TotalSeconds:0}s: virtual {at / 1e9:0.000}s, {_eventCount:N0} events, {_options.Peers - _unfinished} finished");
            }

            Dispatch(next);
        }

        wall.Stop();
        using var process = Process.GetCurrentProcess();
        foreach (((int bucket, string sender), (long count, double sum, double max)) in _waits ?? new())
        {
            Console.WriteLine(FormattableString.Invariant($"upload wait {bucket * 50}-{(bucket + 1) * 50} ms {sender}: {count} blocks, mean {sum / count:0.00} ms, max {max:0.0} ms"));
        }

        // The first 0.4 s: the flash crowd, where the launches outrun the peers' useful upload.
        foreach ((int bucket, long busy) in (_busy ?? new()).Where(x => x.Key < 40))
        {
            int launched = _hosts.Count(h => !h.IsSeeder && h.LaunchAt < (bucket + 1) * 10_000_000L);
            int finished = _hosts.Count(h => !h.IsSeeder && h.CompletedAt < bucket * 10_000_000L);
            Console.WriteLine(FormattableString.Invariant($"uplink {bucket * 10}-{(bucket + 1) * 10} ms: {launched} peers launched, {finished} finished, uploads busy {busy / 1e7 / Math.Max(1, launched):P0} of their time"));
        }

        return Measure(wall.Elapsed, process.PeakWorkingSet64);
    }

    internal void Send(SimLink link, in OutgoingMessage message)
    {
        if (link.Closed || !link.Owner.Alive)
        {
            return;
        }

        if (message.Kind == PeerMessageKind.Piece)
        {
            if (_options.FairUplink)
            {
                link.Pending ??= new Queue<BlockRequest>();
                if (link.Pending.Count == 0)
                {
                    link.Owner.UplinkTurns.Enqueue(link);
                }

                link.Pending.Enqueue(message.Block);
            }
            else
            {
                link.Owner.Uplink.Enqueue((link, message.Block, _clock.Now));
            }

            if (!link.Owner.UplinkBusy)
            {
                StartUpload(link.Owner);
            }

            return;
        }

        long at = Math.Max(_clock.Now + _latency, link.LastDelivery);
        link.LastDelivery = at;
        Schedule(at, new SimEvent(SimEventKind.Deliver, link.Remote.Owner, link.Remote, message));
    }

    internal void Close(SimLink link)
    {
        if (link.Closed)
        {
            return;
        }

        link.Closed = true;
        // The engine hears of it as from its transport: after the current input, never inside it.
        Schedule(_clock.Now, new SimEvent(SimEventKind.Gone, link.Owner, link));
        Schedule(_clock.Now + _latency, new SimEvent(SimEventKind.Gone, link.Remote.Owner, link.Remote));
    }

    internal void Dial(SimHost host, IPEndPoint endPoint)
    {
        if (_byEndPoint.TryGetValue(endPoint, out SimHost? target) && target.Alive && target.Started)
        {
            Schedule(_clock.Now + _latency, new SimEvent(SimEventKind.Handshake, target, Data: host));
        }
        else
        {
            Schedule(_clock.Now + (2 * _latency), new SimEvent(SimEventKind.DialRefused, host, Data: endPoint));
        }
    }

    internal void Verify(SimHost host, PieceProgress piece) =>
        Schedule(_clock.Now + (long)(piece.Size / _options.HashBytesPerSecond * 1e9), new SimEvent(SimEventKind.PieceChecked, host, Data: piece));

    internal void Announce(SimHost host, SwarmAnnounce announce)
    {
        _announces++;
        Schedule(_clock.Now + _latency, new SimEvent(SimEventKind.TrackerRequest, host, Data: announce));
    }

    internal void Completed(SimHost host)
    {
        if (host.IsSeeder || host.CompletedAt is not null)
        {
            return;
        }

        host.CompletedAt = _clock.Now;
        _unfinished--;
    }

    private static long Nanoseconds(TimeSpan span) => span.Ticks * 100;

    private static TorrentMetaInfo MakeTorrent(long size, int pieceLength)
    {
        int pieces = (int)((size + pieceLength - 1) / pieceLength);
        byte[] torrent = MetaInfoWriter.CreateSingleFile(
            new SingleFileTorrent { Name = "sim.tgz", Length = size, PieceLength = pieceLength, PieceHashes = new byte[pieces * 20], Announce = "http://198.19.255.254:6969/announce" },
            out _);
        return MetaInfoReader.Parse(torrent);
    }

    private void BuildHosts(Random random)
    {
        // Payload capacity: the line rate less framing (T_min below stays on the line rate).
        double rate = _options.RateBitsPerSecond * _options.WireEfficiency;
        int slow = (int)Math.Round(_options.Peers * _options.SlowShare);
        int dying = (int)Math.Round(_options.Peers * _options.DieShare);
        int[] order = Enumerable.Range(1, _options.Peers).ToArray();
        random.Shuffle(order);
        var slowHosts = new HashSet<int>(order.Take(slow));
        var dyingHosts = new HashSet<int>(order.Skip(slow).Take(dying)); // the slow ones never die: the two effects stay apart
        double fluid = FluidBoundSeconds(slow);
        for (int index = 0; index <= _options.Peers; index++)
        {
            bool seeder = index == 0;
            bool isSlow = slowHosts.Contains(index);
            double capacity = isSlow ? rate / _options.SlowFactor : rate;
            var endPoint = new IPEndPoint(new IPAddress(new byte[] { 198, 18, (byte)(index >> 8), (byte)(index & 255) }), ListenPort);
            var host = new SimHost(this, index, endPoint, TorrentSwarm.NewPeerId(random), capacity, capacity, seeder, isSlow);
            _hosts.Add(host);
            _byEndPoint.Add(endPoint, host);
            host.LaunchAt = seeder ? 0 : (long)(random.NextDouble() * Nanoseconds(_options.LaunchSpread));
            Schedule(host.LaunchAt, new SimEvent(SimEventKind.Launch, host));
            if (dyingHosts.Contains(index))
            {
                // Mid-transfer: somewhere in the first 20-80% of the time a download takes.
                Schedule(host.LaunchAt + (long)((0.2 + (0.6 * random.NextDouble())) * fluid * 1e9), new SimEvent(SimEventKind.Die, host));
            }
        }

        _unfinished = _options.Peers - dying;
    }

    /// <summary>T_min for the fast peers, in seconds (field notes: Kumar and Ross).</summary>
    private double FluidBoundSeconds(int slow)
    {
        // The seeder's upload and a fast peer's download are both C: F/u_seed = F/d = F/C.
        double rate = _options.RateBitsPerSecond / 8;
        double bytes = _options.Size;
        double uploads = rate + ((_options.Peers - slow) * rate) + (slow * rate / _options.SlowFactor);
        return Math.Max(bytes / rate, _options.Peers * bytes / uploads);
    }

    // Time first, then the order of scheduling: same-time events run first-scheduled first.
    private void Schedule(long at, in SimEvent simEvent) => _events.Enqueue(simEvent, ((Int128)at << 64) | _sequence++);

    private void Dispatch(in SimEvent simEvent)
    {
        SimHost host = simEvent.Host;
        switch (simEvent.Kind)
        {
            case SimEventKind.Launch:
                Launch(host);
                break;
            case SimEventKind.Tick:
                if (host.Alive)
                {
                    if (host.Index == TraceHost)
                    {
                        TraceState(host, "tick");
                    }

                    host.Engine.Tick();
                    Schedule(_clock.Now + Nanoseconds(TickInterval), simEvent);
                }

                break;
            case SimEventKind.Deliver:
                Deliver(simEvent.Link!, simEvent.Message);
                break;
            case SimEventKind.UplinkDone:
                UploadDone(host, simEvent.Link!, simEvent.Message);
                break;
            case SimEventKind.Handshake:
                Handshake(host, (SimHost)simEvent.Data!);
                break;
            case SimEventKind.HandshakeAnswer:
                HandshakeAnswer(host, simEvent.Link!);
                break;
            case SimEventKind.DialRefused:
                if (host.Alive)
                {
                    host.Engine.DialFailed((IPEndPoint)simEvent.Data!);
                }

                break;
            case SimEventKind.Gone:
                Gone(simEvent.Link!);
                break;
            case SimEventKind.PieceChecked:
                PieceChecked(host, (PieceProgress)simEvent.Data!);
                break;
            case SimEventKind.TrackerRequest:
                TrackerRequest(host, (SwarmAnnounce)simEvent.Data!);
                break;
            case SimEventKind.TrackerAnswer:
                if (host.Alive)
                {
                    if (simEvent.Data is SwarmAnnounceResponse response)
                    {
                        host.Engine.AnnounceSucceeded(response);
                    }
                    else
                    {
                        host.Engine.AnnounceFailed((string)simEvent.Data!);
                    }
                }

                break;
            case SimEventKind.Die:
                Die(host);
                break;
        }
    }

    /// <summary>The engine's defaults, and for trials MURDER_SIM_MAX_OUTGOING, MURDER_SIM_QUEUE_MS and MURDER_SIM_MIN_REQ (whole numbers).</summary>
    private static SwarmSettings HostSettings(SimulationOptions options)
    {
        static int? Read(string name) =>
            Environment.GetEnvironmentVariable(name) is string text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;

        var settings = new SwarmSettings { SuperSeed = options.SuperSeed };
        settings = Read("MURDER_SIM_MAX_OUTGOING") is int outgoing ? settings with { MaxOutgoingConnections = outgoing } : settings;
        settings = Read("MURDER_SIM_QUEUE_MS") is int queueMs ? settings with { RequestQueueTime = TimeSpan.FromMilliseconds(queueMs) } : settings;
        return Read("MURDER_SIM_MIN_REQ") is int minimum ? settings with { MinOutstandingRequests = minimum } : settings;
    }

    private void Launch(SimHost host)
    {
        if (!host.Alive)
        {
            return;
        }

        var have = new Bitfield(_torrent.PieceCount);
        if (host.IsSeeder)
        {
            have.SetAll();
        }

        SwarmSettings settings = _hostSettings with { PeerId = host.PeerId };
        host.Engine = new SwarmEngine(_torrent, have, settings, host.PeerId, host, _clock, new Random(_options.Seed ^ (host.Index * 7919)), announces: true, _options.BlockLength, assembleData: false)
        {
            LocalEndPoint = host.EndPoint,
        };
        host.Started = true;
        host.Engine.Start();
        Schedule(_clock.Now + Nanoseconds(TickInterval), new SimEvent(SimEventKind.Tick, host));
    }

    private void Deliver(SimLink link, in OutgoingMessage message)
    {
        if (link.Closed || link.Session is null || !link.Owner.Alive)
        {
            return;
        }

        if (link.Owner.Index == TraceHost && message.Kind != PeerMessageKind.Piece)
        {
            TraceState(link.Owner, $"{message.Kind} ");
        }

        try
        {
            link.Owner.Engine.Handle(link.Session, message.Received(message.Kind == PeerMessageKind.Piece ? new ReadOnlySequence<byte>(_zeros, 0, message.Length) : ReadOnlySequence<byte>.Empty));
        }
        catch (PeerProtocolException)
        {
            Close(link);
        }
    }

    private void StartUpload(SimHost host)
    {
        while (host.Alive && NextUpload(host, out (SimLink Link, BlockRequest Block) next))
        {
            if (next.Link.Closed || next.Link.Session is null || !host.Engine.TakeUpload(next.Link.Session, next.Block))
            {
                continue;
            }

            host.UplinkBusy = true;
            long busy = (long)(next.Block.Length * 8 / host.UpBitsPerSecond * 1e9);
            if (_busy is not null && !host.IsSeeder)
            {
                _busy[(int)(_clock.Now / 10_000_000)] = _busy.GetValueOrDefault((int)(_clock.Now / 10_000_000)) + busy;
            }

            Schedule(_clock.Now + busy, new SimEvent(SimEventKind.UplinkDone, host, next.Link, new OutgoingMessage(PeerMessageKind.Piece, next.Block.Piece, next.Block.Begin, next.Block.Length)));
            return;
        }

        host.UplinkBusy = false;
    }

    /// <summary>
    /// The next block to put on the host's uplink. FIFO (the default): in the order requested
    /// across connections, a newcomer's first request behind every earlier peer's queue. Fair: the
    /// connections with blocks queued take turns, a block each, as TCP flows may share a link
    /// (each connection has its own socket and send loop in the engine's transport).
    /// </summary>
    private bool NextUpload(SimHost host, out (SimLink Link, BlockRequest Block) next)
    {
        if (!_options.FairUplink)
        {
            if (!host.Uplink.TryDequeue(out (SimLink Link, BlockRequest Block, long At) queued))
            {
                next = default;
                return false;
            }

            next = (queued.Link, queued.Block);
            if (_waits is not null && !host.IsSeeder)
            {
                var key = ((int)(_clock.Now / 50_000_000), host.CompletedAt is null ? "downloading" : "finished");
                (long count, double sum, double max) = _waits.GetValueOrDefault(key);
                double milliseconds = (_clock.Now - queued.At) / 1e6;
                _waits[key] = (count + 1, sum + milliseconds, Math.Max(max, milliseconds));
            }

            return true;
        }

        while (host.UplinkTurns.TryDequeue(out SimLink? link))
        {
            if (link.Closed)
            {
                link.Pending!.Clear();
                continue;
            }

            BlockRequest block = link.Pending!.Dequeue();
            if (link.Pending.Count > 0)
            {
                host.UplinkTurns.Enqueue(link);
            }

            next = (link, block);
            return true;
        }

        next = default;
        return false;
    }

    private void UploadDone(SimHost host, SimLink link, in OutgoingMessage block)
    {
        SimHost receiver = link.Remote.Owner;
        if (!link.Closed && receiver.Alive)
        {
            if (host.IsSeeder)
            {
                receiver.FromSeeder += block.Length;
                if (_originSends is not null)
                {
                    int sent = _originSends[block.Index]++;
                    _originLog.Add(FormattableString.Invariant($"{_clock.Now / 1e9:0.000} piece={block.Index} copy={sent / Math.Max(1, _torrent.GetPieceSize(block.Index) / _options.BlockLength)} to={receiver.Index} have={receiver.Engine.Have.CountSet} copies={_copies} holders={_holders[block.Index]}"));
                }
            }

            if (receiver.Index == TraceHost)
            {
                int bucket = (int)((_clock.Now - receiver.LaunchAt) / 10_000_000);
                string source = (host.IsSeeder ? "origin" : host.CompletedAt is not null ? "done" : "leech") + (host.IsSlow ? "-slow" : string.Empty);
                _trace[(bucket, source)] = _trace.GetValueOrDefault((bucket, source)) + block.Length;
                TraceState(receiver, string.Empty);
            }

            long arrives = _clock.Now + _latency;
            long delivered = Math.Max(arrives, receiver.DownFree + (long)(block.Length * 8 / receiver.DownBitsPerSecond * 1e9));
            receiver.DownFree = delivered;
            Schedule(delivered, new SimEvent(SimEventKind.Deliver, receiver, link.Remote, block));
        }

        StartUpload(host);
    }

    /// <summary>MURDER_SIM_TRACE_HOST: the traced host's connections, by the 10 ms bucket.</summary>
    private void TraceState(SimHost host, string what)
    {
        int bucket = (int)((_clock.Now - host.LaunchAt) / 10_000_000);
        var sessions = host.Engine.Sessions;
        int seeds = sessions.Count(x => x.RemoteHave.AllSet);
        int busy = sessions.Count(x => x.Outstanding.Count > 0);
        _trace[(bucket, FormattableString.Invariant($"{what}conn={sessions.Count} seeds={seeds} busy={busy} outstanding={sessions.Sum(x => x.Outstanding.Count)} unchoked={sessions.Count(x => !x.PeerChoking)} interested={sessions.Count(x => x.AmInterested)} have={host.Engine.Have.CountSet} origin={sessions.Any(x => ((SimLink)x.Link).Remote.Owner.IsSeeder)}"))] = 0;
    }

    private void Handshake(SimHost target, SimHost dialer)
    {
        if (!dialer.Alive)
        {
            return;
        }

        var atDialer = new SimLink(this, dialer);
        var atTarget = new SimLink(this, target) { Remote = atDialer };
        atDialer.Remote = atTarget;
        // The dialer reads our handshake before anything we send after it.
        Schedule(_clock.Now + _latency, new SimEvent(SimEventKind.HandshakeAnswer, dialer, atDialer));
        if (!target.Alive)
        {
            atTarget.Refused = atTarget.Closed = true;
            return;
        }

        _ephemeralPort = _ephemeralPort >= 65_000 ? 40_000 : _ephemeralPort + 1;
        atTarget.Session = target.Engine.Connected(atTarget, new IPEndPoint(dialer.EndPoint.Address, _ephemeralPort), dialer.PeerId, null);
        if (atTarget.Session is null)
        {
            atTarget.Refused = atTarget.Closed = true;
        }
    }

    private void HandshakeAnswer(SimHost dialer, SimLink atDialer)
    {
        if (!dialer.Alive)
        {
            return;
        }

        SimHost target = atDialer.Remote.Owner;
        if (atDialer.Remote.Refused || !target.Alive)
        {
            atDialer.Closed = true;
            dialer.Engine.DialFailed(target.EndPoint);
            return;
        }

        atDialer.Session = dialer.Engine.Connected(atDialer, target.EndPoint, target.PeerId, target.EndPoint);
        if (atDialer.Session is null)
        {
            atDialer.Closed = true;
            Schedule(_clock.Now + _latency, new SimEvent(SimEventKind.Gone, target, atDialer.Remote));
        }
    }

    private static void Gone(SimLink link)
    {
        link.Closed = true;
        if (link.GoneReported || link.Session is null || !link.Owner.Alive)
        {
            return;
        }

        link.GoneReported = true;
        link.Owner.Engine.Disconnected(link.Session, null);
    }

    private void PieceChecked(SimHost host, PieceProgress piece)
    {
        if (!host.Alive)
        {
            return;
        }

        host.Engine.PieceChecked(piece, valid: true);
        if (!host.IsSeeder && _holders[piece.Index]++ == 0)
        {
            _copies++;
            if (_copies == _torrent.PieceCount && Environment.GetEnvironmentVariable("MURDER_SIM_TRACE") is not null)
            {
                Console.Error.WriteLine(FormattableString.Invariant($"full copy among the peers at {_clock.Now / 1e9:0.000}s, the seeder has sent {_hosts[0].Engine.GetStatistics().Uploaded / (double)_options.Size:0.000} F"));
            }

            if (_copies == _torrent.PieceCount && _options.SeederDies && _hosts[0].Alive)
            {
                Die(_hosts[0]);
            }
        }
    }

    private void TrackerRequest(SimHost host, SwarmAnnounce announce)
    {
        Uri url = TrackerUrl.Announce(HttpSwarmTracker.ToTrackerRequest(_announceUrl, announce));
        byte[] request = Encoding.ASCII.GetBytes($"GET {url.PathAndQuery} HTTP/1.1\r\nHost: 198.19.255.254:6969\r\n\r\n");
        object answer;
        if (HttpRequestParser.TryParse(request, request.Length, out HttpRequestHead head) != HttpParseStatus.Complete)
        {
            answer = "the simulator built a request the tracker cannot parse";
        }
        else
        {
            using var output = new ResponseBuilder();
            _tracker.Handle(request, head, new TrackerClientInfo(PeerAddress.From(host.EndPoint.Address), false), output, out ArraySegment<byte> response);
            answer = ParseAnswer(response);
        }

        Schedule(_clock.Now + _latency, new SimEvent(SimEventKind.TrackerAnswer, host, Data: answer));
    }

    private static object ParseAnswer(ArraySegment<byte> response)
    {
        int body = response.AsSpan().IndexOf("\r\n\r\n"u8);
        try
        {
            TrackerAnnounceResponse parsed = TrackerResponseParser.ParseAnnounce(response.AsMemory(body + 4), "sim");
            return new SwarmAnnounceResponse(parsed.Interval, parsed.Peers);
        }
        catch (MurderException error)
        {
            return error.Message;
        }
    }

    private void Die(SimHost host)
    {
        if (!host.Alive)
        {
            return;
        }

        // Killed: the kernel resets its connections, so its peers hear of it after one latency.
        host.Alive = false;
        foreach (var session in host.Engine?.Sessions ?? Array.Empty<Murder.Core.Swarm.Sessions.PeerSession>())
        {
            var link = (SimLink)session.Link;
            link.Closed = true;
            Schedule(_clock.Now + _latency, new SimEvent(SimEventKind.Gone, link.Remote.Owner, link.Remote));
        }

        if (!host.IsSeeder && host.Engine is not null)
        {
            foreach (int index in host.Engine.Have)
            {
                if (--_holders[index] == 0)
                {
                    _copies--;
                }
            }
        }
    }

    private SimulationResult Measure(TimeSpan wall, long peakMemory)
    {
        int slow = _hosts.Count(host => host.IsSlow);
        double fluid = FluidBoundSeconds(slow);
        List<SimHost> peers = _hosts.Where(host => !host.IsSeeder).ToList();
        double[] fast = peers.Where(host => host.Alive && !host.IsSlow && host.CompletedAt is not null).Select(host => (host.CompletedAt!.Value - host.LaunchAt) / 1e9 / fluid).OrderBy(ratio => ratio).ToArray();
        double[] slowTimes = peers.Where(host => host.Alive && host.IsSlow && host.CompletedAt is not null).Select(host => (host.CompletedAt!.Value - host.LaunchAt) / 1e9 / fluid).ToArray();
        List<SimHost> alive = peers.Where(host => host.Alive).ToList();
        double received = alive.Sum(host => (double)(host.Engine?.GetStatistics().Downloaded ?? 0)) / (Math.Max(1, alive.Count) * (double)_options.Size);
        var digest = new StringBuilder();
        foreach (SimHost peer in peers)
        {
            digest.Append(peer.CompletedAt ?? -1).Append(',');
        }

        if (Environment.GetEnvironmentVariable("MURDER_SIM_TRACE") is not null)
        {
            foreach (SimHost peer in peers.Where(p => p.Alive && p.CompletedAt is null && p.Engine is not null))
            {
                var sessions = peer.Engine.Sessions;
                Console.Error.WriteLine(System.FormattableString.Invariant($"stuck peer={peer.Index} have={peer.Engine.Have.CountSet} sessions={sessions.Count} seeds={sessions.Count(x => x.RemoteHave.AllSet)} declined={sessions.Count(x => x.SeedDeclined)} interested={sessions.Count(x => x.AmInterested)} choked={sessions.Count(x => x.PeerChoking)} outstanding={sessions.Sum(x => x.Outstanding.Count)} peerInterested={sessions.Count(x => x.PeerInterested)} origin={sessions.Any(x => ((SimLink)x.Link).Remote.Owner.IsSeeder)}"));
            }

            double wasted = alive.Sum(host => (double)(host.Engine?.GetStatistics().BytesWasted ?? 0)) / (Math.Max(1, alive.Count) * (double)_options.Size);
            Console.Error.WriteLine(FormattableString.Invariant($"received {received:0.0000} x N*F, of it wasted (duplicates, blocks of pieces done) {wasted:0.0000}"));
            foreach (SimHost peer in peers.OrderBy(p => p.LaunchAt))
            {
                var stats = peer.Engine?.GetStatistics();
                Console.Error.WriteLine(System.FormattableString.Invariant($"trace peer={peer.Index} launch={peer.LaunchAt / 1e9:0.000} ratio={((peer.CompletedAt ?? 0) - peer.LaunchAt) / 1e9 / fluid:0.00} first={stats?.FirstPieceAfter?.TotalMilliseconds:0.0}ms fromSeeder={peer.FromSeeder / (double)_options.Size:0.000} fromSeeds={stats?.BytesFromSeeds / (double)_options.Size:0.000} sessions={stats?.ConnectedPeers} slow={peer.IsSlow}"));
            }
        }

        foreach (string line in _originLog)
        {
            Console.Error.WriteLine("origin " + line);
        }

        foreach (((int bucket, string source), long bytes) in _trace)
        {
            Console.Error.WriteLine(System.FormattableString.Invariant($"bucket {bucket * 10}ms {source} {bytes * 100 * 8 / 1e9:0.00}"));
        }

        double virtualSeconds = _clock.Now / 1e9;
        return new SimulationResult
        {
            Options = _options,
            PieceLength = _torrent.PieceLength,
            FluidBound = TimeSpan.FromSeconds(fluid),
            Finished = fast.Length,
            Alive = alive.Count(host => !host.IsSlow),
            SlowFinished = slowTimes.Length,
            SlowAlive = alive.Count(host => host.IsSlow),
            Died = _hosts.Count(host => !host.Alive),
            P50 = Percentile(fast, 0.50),
            P90 = Percentile(fast, 0.90),
            P99 = Percentile(fast, 0.99),
            Last = fast.Length > 0 ? fast[^1] : double.NaN,
            SlowLast = slowTimes.Length > 0 ? slowTimes.Max() : 0,
            LastFromStartSeconds = alive.Max(host => host.CompletedAt ?? 0) / 1e9,
            SeederUpload = _hosts[0].Engine.GetStatistics().Uploaded / (double)_options.Size,
            Received = received,
            Announces = _announces,
            AnnouncesPerSecond = virtualSeconds > 0 ? _announces / virtualSeconds : 0,
            VirtualTime = TimeSpan.FromSeconds(virtualSeconds),
            Events = _eventCount,
            WallTime = wall,
            PeakMemoryBytes = peakMemory,
            Digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(digest.ToString())))[..16],
        };
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
}
