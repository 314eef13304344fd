using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Engine;
using Murder.Core.Swarm.Sessions;
using Murder.Core.Tests.Tracker;

namespace Murder.Core.Tests.Swarm.Engine;

/// <summary>
/// The in-memory transport: engines joined by links that queue every message, delivered in order
/// by <see cref="Pump"/>; blocks are read from the sender's store when delivered, pieces are hashed
/// and written for real. Time moves only when a test says (<see cref="Advance"/>). No sockets, no
/// threads, no sleeps.
/// </summary>
internal sealed class InMemorySwarm
{
    private readonly Queue<Action> _pending = new();
    private readonly TorrentMetaInfo _torrent;
    private readonly SwarmSettings _settings;
    private int _nextPort = 50_000;

    public InMemorySwarm(TorrentMetaInfo torrent, SwarmSettings? settings = null)
    {
        _torrent = torrent;
        _settings = settings ?? new SwarmSettings();
    }

    public ManualTime Time { get; } = new();

    public List<Node> Nodes { get; } = new();

    /// <summary>Adds an engine holding <paramref name="data"/> (a seeder) or nothing.</summary>
    public Node Add(byte[]? data, int seed)
    {
        var have = new Bitfield(_torrent.PieceCount);
        if (data is not null)
        {
            have.SetAll();
        }

        var node = new Node(this, new IPEndPoint(IPAddress.Parse($"198.18.0.{Nodes.Count + 1}"), 6881), data is null ? new MemoryPieceStore(_torrent.TotalLength) : new MemoryPieceStore(data));
        byte[] peerId = new byte[20];
        new Random(seed).NextBytes(peerId);
        node.Engine = new SwarmEngine(_torrent, have, _settings with { PeerId = peerId }, peerId, node, Time, new Random(seed), announces: false) { LocalEndPoint = node.EndPoint };
        Nodes.Add(node);
        return node;
    }

    /// <summary>Delivers everything queued (and what that queues) up to a bound; returns how many deliveries ran.</summary>
    public int Pump(int limit = 1_000_000)
    {
        int ran = 0;
        while (ran < limit && _pending.TryDequeue(out Action? next))
        {
            next();
            ran++;
        }

        return ran;
    }

    /// <summary>Moves the clock and ticks every engine.</summary>
    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        foreach (Node node in Nodes.Where(node => node.Alive))
        {
            node.Engine.Tick();
        }
    }

    /// <summary>Pumps and ticks (250 ms a step) until <paramref name="done"/> or the step limit.</summary>
    public bool RunUntil(Func<bool> done, int steps = 2000)
    {
        for (int step = 0; step < steps; step++)
        {
            Pump();
            if (done())
            {
                return true;
            }

            Advance(TimeSpan.FromMilliseconds(250));
        }

        return done();
    }

    private void Connect(Node dialer, IPEndPoint endPoint)
    {
        Node? target = Nodes.Find(node => node.EndPoint.Equals(endPoint) && node.Alive);
        if (target is null || !dialer.Alive)
        {
            dialer.Engine.DialFailed(endPoint);
            return;
        }

        var atDialer = new Link(this, dialer);
        var atTarget = new Link(this, target) { Remote = atDialer };
        atDialer.Remote = atTarget;
        atTarget.Session = target.Engine.Connected(atTarget, new IPEndPoint(dialer.EndPoint.Address, _nextPort++), dialer.Engine.PeerId, null);
        if (atTarget.Session is null)
        {
            dialer.Engine.DialFailed(endPoint);
            return;
        }

        atDialer.Session = dialer.Engine.Connected(atDialer, endPoint, target.Engine.PeerId, endPoint);
        if (atDialer.Session is null)
        {
            atTarget.Close();
        }
    }

    /// <summary>One engine and its store.</summary>
    internal sealed class Node : ISwarmActions
    {
        private readonly InMemorySwarm _swarm;

        public Node(InMemorySwarm swarm, IPEndPoint endPoint, MemoryPieceStore store)
        {
            _swarm = swarm;
            EndPoint = endPoint;
            Store = store;
        }

        public SwarmEngine Engine { get; set; } = null!;

        public IPEndPoint EndPoint { get; }

        public MemoryPieceStore Store { get; }

        public bool Alive { get; private set; } = true;

        public bool Completed { get; private set; }

        /// <summary>Kills the node: its peers see every connection reset.</summary>
        public void Kill()
        {
            Alive = false;
            foreach (PeerSession session in Engine.Sessions.ToArray())
            {
                ((Link)session.Link).Close();
            }
        }

        public void Dial(IPEndPoint endPoint) => _swarm._pending.Enqueue(() => _swarm.Connect(this, endPoint));

        public void Verify(PieceProgress piece) => _swarm._pending.Enqueue(() =>
        {
            if (!Alive)
            {
                return;
            }

            bool valid = PieceChecker.Matches(piece.Buffer.AsSpan(0, piece.Size), _swarm._torrent.GetPieceHash(piece.Index));
            if (valid)
            {
                Store.WriteAsync((long)piece.Index * _swarm._torrent.PieceLength, piece.Buffer.AsMemory(0, piece.Size), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }

            Engine.PieceChecked(piece, valid);
        });

        public void Announce(SwarmAnnounce announce)
        {
        }

        void ISwarmActions.Completed() => Completed = true;

        public void Diagnostic(string message)
        {
        }
    }

    /// <summary>One end of a connection.</summary>
    private sealed class Link : IPeerLink
    {
        private readonly InMemorySwarm _swarm;
        private readonly Node _owner;
        private bool _closed;

        public Link(InMemorySwarm swarm, Node owner)
        {
            _swarm = swarm;
            _owner = owner;
        }

        public Link Remote { get; set; } = null!;

        public PeerSession? Session { get; set; }

        public void Send(in OutgoingMessage message)
        {
            OutgoingMessage queued = message;
            _swarm._pending.Enqueue(queued.Kind == PeerMessageKind.Piece ? () => Upload(queued.Block) : () => Remote.Deliver(queued, ReadOnlySequence<byte>.Empty));
        }

        public void Close()
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _swarm._pending.Enqueue(() => Gone());
            _swarm._pending.Enqueue(() => Remote.Gone());
        }

        private void Gone()
        {
            _closed = true;
            if (Session is not null && _owner.Alive)
            {
                PeerSession session = Session;
                Session = null;
                _owner.Engine.Disconnected(session, null);
            }
        }

        private void Upload(BlockRequest block)
        {
            if (_closed || Session is null || !_owner.Alive || !_owner.Engine.TakeUpload(Session, block))
            {
                return;
            }

            byte[] data = new byte[block.Length];
            _owner.Store.ReadAsync(((long)block.Piece * _swarm._torrent.PieceLength) + block.Begin, data, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            Remote.Deliver(new OutgoingMessage(PeerMessageKind.Piece, block.Piece, block.Begin, block.Length), new ReadOnlySequence<byte>(data));
        }

        private void Deliver(OutgoingMessage message, ReadOnlySequence<byte> block)
        {
            if (_closed || Session is null || !_owner.Alive)
            {
                return;
            }

            try
            {
                _owner.Engine.Handle(Session, message.Received(block));
            }
            catch (PeerProtocolException)
            {
                Close();
            }
        }
    }
}
