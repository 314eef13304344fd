using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Transport;
using Xunit;

namespace Murder.Core.Tests.Swarm.Seeding;

/// <summary>
/// A super-seeding origin is told of every piece each peer gets, and took each 'have' as a wake-up
/// of its own. The socket connection lets 'have's to a peer we download from that wants nothing of
/// ours (the origin, to its peers) wait for our next message to it, for a while at most; anyone
/// interested in us, or a peer we ask nothing of, gets them at once. A raw socket plays the peer.
/// </summary>
public class HeldHavesTests
{
    private const int Pieces = 16;
    private const int Block = PeerWireLimits.BlockLength;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Haves_to_a_peer_we_download_from_that_wants_nothing_of_ours_go_with_our_next_request()
    {
        await using var pair = await Pair.OpenAsync(Long);
        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Interested));
        Assert.Equal(PeerMessageKind.Interested, (await pair.ReadAsync(5)).Kind);

        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Have, 1));
        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Have, 2));
        await Task.Delay(300);
        Assert.Equal(0, pair.Remote.Available); // held (sent at once, they would be here by now)

        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Request, 3, 0, Block));
        Assert.Equal((PeerMessageKind.Have, 1), await pair.ReadAsync(9));
        Assert.Equal((PeerMessageKind.Have, 2), await pair.ReadAsync(9));
        Assert.Equal((PeerMessageKind.Request, 3), await pair.ReadAsync(17));
    }

    [Fact]
    public async Task Held_haves_go_out_on_their_own_once_the_hold_is_over()
    {
        TimeSpan hold = TimeSpan.FromMilliseconds(400);
        await using var pair = await Pair.OpenAsync(hold);
        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Interested));
        await pair.ReadAsync(5);

        var clock = Stopwatch.StartNew();
        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Have, 7));
        Assert.Equal((PeerMessageKind.Have, 7), await pair.ReadAsync(9));
        Assert.True(clock.Elapsed >= hold - TimeSpan.FromMilliseconds(50), $"arrived after {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_peer_interested_in_us_or_one_we_ask_nothing_of_gets_haves_at_once()
    {
        await using var pair = await Pair.OpenAsync(Long);
        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Have, 4)); // we are not interested in it
        Assert.Equal((PeerMessageKind.Have, 4), await pair.ReadAsync(9));

        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Interested));
        await pair.ReadAsync(5);
        await pair.Remote.SendAsync(new byte[] { 0, 0, 0, 1, (byte)PeerMessageKind.Interested });
        await pair.Owner.Interested.Task.WaitAsync(TimeSpan.FromSeconds(10));
        pair.Connection.Send(new OutgoingMessage(PeerMessageKind.Have, 5));
        Assert.Equal((PeerMessageKind.Have, 5), await pair.ReadAsync(9)); // well within the 30 s hold
    }

    /// <summary>A connection on one end of a loopback TCP connection, a raw socket on the other.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly Task<Exception?> _run;

        private Pair(SocketPeerConnection connection, Socket remote, Owner owner)
        {
            Connection = connection;
            Remote = remote;
            Owner = owner;
            _run = connection.RunAsync(owner, ReadOnlyMemory<byte>.Empty);
        }

        public SocketPeerConnection Connection { get; }

        public Socket Remote { get; }

        public Owner Owner { get; }

        public static async Task<Pair> OpenAsync(TimeSpan hold)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var remote = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await remote.ConnectAsync(listener.LocalEndPoint!);
            Socket local = await listener.AcceptAsync();
            local.NoDelay = true;
            var store = new MemoryPieceStore(new byte[Pieces * Block]);
            return new Pair(new SocketPeerConnection(local, Pieces, Block, store, hold), remote, new Owner());
        }

        /// <summary>The next message from the connection, of <paramref name="length"/> bytes: its kind and index.</summary>
        public async Task<(PeerMessageKind Kind, int Index)> ReadAsync(int length)
        {
            byte[] message = new byte[length];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int filled = 0;
            while (filled < length)
            {
                int read = await Remote.ReceiveAsync(message.AsMemory(filled), SocketFlags.None, timeout.Token);
                Assert.NotEqual(0, read);
                filled += read;
            }

            Assert.Equal(length - 4, BinaryPrimitives.ReadInt32BigEndian(message));
            return ((PeerMessageKind)message[4], length >= 9 ? BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(5)) : 0);
        }

        public async ValueTask DisposeAsync()
        {
            Connection.Dispose();
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
            Remote.Dispose();
        }
    }

    private sealed class Owner : IConnectionOwner
    {
        public TaskCompletionSource Interested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Receive(SocketPeerConnection connection, in PeerMessage message)
        {
            if (message.Kind == PeerMessageKind.Interested)
            {
                Interested.TrySetResult();
            }
        }

        public bool TakeUpload(SocketPeerConnection connection, BlockRequest block) => true;

        public ValueTask ThrottleUploadAsync(int bytes, CancellationToken cancellation) => ValueTask.CompletedTask;
    }
}
