using System;
using System.Collections.Generic;
using System.Net;
using Murder.Core.PeerWire;

namespace Murder.Core.Swarm.Sessions;

/// <summary>
/// One peer's protocol state as the engine keeps it: choke and interest both ways, what the peer
/// holds, our requests in flight, its requests queued with us, counters and times. Touched only by
/// the engine (one caller at a time); the connection itself lives behind <see cref="Link"/>.
/// </summary>
internal sealed class PeerSession
{
    private long _rateSampleBytes;
    private TimeSpan _rateSampleAt;

    public PeerSession(IPeerLink link, IPEndPoint remote, ReadOnlySpan<byte> peerId, bool outgoing, int pieceCount, int unrequestedMargin, TimeSpan now)
    {
        Link = link;
        RemoteEndPoint = remote;
        PeerId = peerId.ToArray();
        PeerIdText = Convert.ToHexString(PeerId);
        IsOutgoing = outgoing;
        RemoteHave = new Bitfield(pieceCount);
        Unrequested = new UnrequestedBlockAllowance(unrequestedMargin);
        LastReceived = LastSent = _rateSampleAt = ConnectedAt = now;
    }

    /// <summary>When the handshake completed.</summary>
    public TimeSpan ConnectedAt { get; }

    public IPeerLink Link { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public byte[] PeerId { get; }

    public string PeerIdText { get; }

    public bool IsOutgoing { get; }

    public Bitfield RemoteHave { get; }

    public bool AmChoking { get; set; } = true;

    public bool AmInterested { get; set; }

    public bool PeerChoking { get; set; } = true;

    public bool PeerInterested { get; set; }

    public bool ReceivedAnyMessage { get; set; }

    /// <summary>Our super-seeding state for this peer while we are an origin revealing pieces a few at a time.</summary>
    public Seeding.PeerOffers? Offers { get; set; }

    /// <summary>We are an origin and choked this peer for asking a piece we had sent already.</summary>
    public bool Declined { get; set; }

    /// <summary>When we, an origin, first declined this peer.</summary>
    public TimeSpan DeclinedAt { get; set; }

    /// <summary>This seed choked us: it is asked only for pieces no one else holds.</summary>
    public bool SeedDeclined { get; set; }

    public List<BlockRequest> Outstanding { get; } = new();

    /// <summary>When this connection last delivered a block, or was last asked for blocks with none outstanding.</summary>
    public TimeSpan LastDeliveryAt { get; set; }

    public HashSet<BlockRequest> CancelledUploads { get; } = new();

    public int QueuedUploads { get; set; }

    public int BadPieces { get; set; }

    /// <summary>Blocks the peer sent that nobody wanted, against the requests we withdrew.</summary>
    public UnrequestedBlockAllowance Unrequested { get; }

    /// <summary>Useful bytes received since the last rechoke (tit-for-tat ranks by it).</summary>
    public long RecentDownload { get; set; }

    /// <summary>Payload bytes per second received, smoothed; sizes the request queue.</summary>
    public double DownloadRate { get; private set; }

    /// <summary>Block bytes received.</summary>
    public long Downloaded { get; set; }

    /// <summary>Block bytes sent.</summary>
    public long Uploaded { get; set; }

    public TimeSpan LastReceived { get; set; }

    public TimeSpan LastSent { get; private set; }

    public bool IsClosed { get; private set; }

    /// <summary>Queues a message for the peer (nothing once closed).</summary>
    public void Send(in OutgoingMessage message, TimeSpan now)
    {
        if (IsClosed)
        {
            return;
        }

        LastSent = now;
        Link.Send(message);
    }

    /// <summary>Hangs up; the transport reports the connection gone afterwards.</summary>
    public void Close()
    {
        if (IsClosed)
        {
            return;
        }

        IsClosed = true;
        Link.Close();
    }

    /// <summary>
    /// Folds the bytes received since the last sample into <see cref="DownloadRate"/> once both
    /// <paramref name="minimum"/> has passed and <paramref name="minimumBytes"/> arrived since it;
    /// true when it did. (One block in a short window is no rate: at 10 Mbit/s such samples were
    /// spikes that made every other connection look slow.)
    /// </summary>
    public bool SampleRateAfter(TimeSpan now, TimeSpan minimum, long minimumBytes)
    {
        if (now - _rateSampleAt < minimum || Downloaded - _rateSampleBytes < minimumBytes)
        {
            return false;
        }

        SampleRate(now);
        return true;
    }

    /// <summary>Folds the bytes received since the last sample into <see cref="DownloadRate"/>.</summary>
    public void SampleRate(TimeSpan now)
    {
        double seconds = (now - _rateSampleAt).TotalSeconds;
        if (seconds <= 0)
        {
            return;
        }

        double sample = (Downloaded - _rateSampleBytes) / seconds;
        DownloadRate = DownloadRate == 0 ? sample : (0.5 * DownloadRate) + (0.5 * sample);
        _rateSampleBytes = Downloaded;
        _rateSampleAt = now;
    }
}
