using System;
using System.Net;

namespace Murder.Core.Swarm;

/// <summary>
/// How a swarm behaves. Immutable; <see cref="Validate"/> checks every value. The defaults suit a
/// trusted datacenter swarm: every interested peer is unchoked and requests are pipelined deeply.
/// </summary>
public sealed record SwarmSettings
{
    /// <summary>The most peer connections (Murder used 64).</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>
    /// The most connections we dial ourselves; the rest of <see cref="MaxConnections"/> is left to
    /// peers that dial us. Peers that start together and each dial every slot full take all of each
    /// other's, and those that start a moment later find no peer with data that accepts them.
    /// </summary>
    public int MaxOutgoingConnections { get; init; } = 32;

    /// <summary>The most requests kept outstanding per peer: 128 x 16 KiB = 2 MiB in flight.</summary>
    public int MaxOutstandingRequests { get; init; } = 128;

    /// <summary>The fewest requests kept outstanding per peer, before its rate is known.</summary>
    public int MinOutstandingRequests { get; init; } = 16;

    /// <summary>
    /// How much of a peer's measured rate is kept requested: the queue is rate x this time (bandwidth
    /// x delay with room for jitter), between <see cref="MinOutstandingRequests"/> and
    /// <see cref="MaxOutstandingRequests"/>. Deeper queues only queue at the sender: a seeder serving
    /// N peers then answers late, and the endgame re-downloads what is in flight.
    /// </summary>
    public TimeSpan RequestQueueTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Requests a peer may queue with us before it is disconnected.</summary>
    public int MaxQueuedUploads { get; init; } = 2000;

    /// <summary>Unchoke every interested peer (trusted swarms). False: tit-for-tat with <see cref="UploadSlots"/>.</summary>
    public bool UnchokeAll { get; init; } = true;

    /// <summary>Peers unchoked at once when <see cref="UnchokeAll"/> is off (plus one optimistic unchoke).</summary>
    public int UploadSlots { get; init; } = 4;

    /// <summary>
    /// Super-seeding for a swarm that starts with every piece (an origin): until each piece has been
    /// uploaded once, a peer is told of a few pieces nobody else was offered instead of all of them
    /// (BEP 16), so the origin sends each piece once and the peers trade it. Off: a plain seed.
    /// </summary>
    public bool SuperSeed { get; init; } = true;

    /// <summary>The address to listen on.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Any;

    /// <summary>The port to listen on; 0 picks a free one.</summary>
    public int ListenPort { get; init; }

    /// <summary>How long a TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the handshake may take once connected.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A peer silent this long is disconnected.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Sent when we have said nothing for this long.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A peer that contributed to this many pieces that failed their hash check is banned.</summary>
    public int BanAfterBadPieces { get; init; } = 2;

    /// <summary>A peer that sends this many blocks nobody asked it for is disconnected.</summary>
    public int MaxUnrequestedBlocks { get; init; } = 64;

    /// <summary>The most bytes per second this swarm uploads (all peers together); 0 for no limit.</summary>
    public long MaxUploadRate { get; init; }

    /// <summary>Peers asked for in each announce.</summary>
    public int AnnounceNumWant { get; init; } = 200;

    /// <summary>The announce interval when the tracker gives none.</summary>
    public TimeSpan DefaultAnnounceInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Our 20-byte peer id; random ("-MU0100-" and 12 random characters) when null.</summary>
    public byte[]? PeerId { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public SwarmSettings Validate()
    {
        Check(MaxConnections is >= 1 and <= 10_000, nameof(MaxConnections), "1 to 10000");
        Check(MaxOutgoingConnections is >= 1 and <= 10_000, nameof(MaxOutgoingConnections), "1 to 10000");
        Check(MaxOutstandingRequests is >= 1 and <= 4096, nameof(MaxOutstandingRequests), "1 to 4096");
        Check(MinOutstandingRequests >= 1 && MinOutstandingRequests <= MaxOutstandingRequests, nameof(MinOutstandingRequests), "1 to MaxOutstandingRequests");
        Check(RequestQueueTime > TimeSpan.Zero && RequestQueueTime <= TimeSpan.FromSeconds(60), nameof(RequestQueueTime), "more than 0 and at most 60 seconds");
        Check(MaxQueuedUploads is >= 1 and <= 100_000, nameof(MaxQueuedUploads), "1 to 100000");
        Check(UploadSlots is >= 1 and <= 1000, nameof(UploadSlots), "1 to 1000");
        Check(ListenPort is >= 0 and <= 65535, nameof(ListenPort), "0 to 65535");
        Check(BanAfterBadPieces >= 1, nameof(BanAfterBadPieces), "at least 1");
        Check(MaxUploadRate >= 0, nameof(MaxUploadRate), "0 (no limit) or more");
        Check(PeerId is null || PeerId.Length == 20, nameof(PeerId), "20 bytes");
        return this;
    }

    private static void Check(bool valid, string name, string range)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be {range}.");
        }
    }
}
