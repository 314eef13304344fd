using System;
using System.Collections.Generic;
using System.Net;

namespace Murder.Core.Swarm.Dialing;

/// <summary>
/// The peer addresses we may dial (from the tracker, or given directly) and which of them to dial
/// now: not banned, not connected or being dialled, not failing (a backoff per address), within the
/// connection limit and at most <see cref="MaxConcurrentDials"/> at once.
/// </summary>
internal sealed class DialList
{
    /// <summary>Connection attempts in flight at most.</summary>
    public const int MaxConcurrentDials = 16;

    private readonly Dictionary<IPEndPoint, PeerCandidate> _candidates = new();
    private readonly List<IPEndPoint> _order = new();

    /// <summary>Dials in flight.</summary>
    public int Connecting { get; private set; }

    /// <summary>Adds an address (a no-op when known); insertion order is dial order, for determinism.</summary>
    public void Add(IPEndPoint endPoint)
    {
        if (_candidates.TryAdd(endPoint, new PeerCandidate()))
        {
            _order.Add(endPoint);
        }
    }

    /// <summary>
    /// Adds to <paramref name="output"/> the addresses to dial now and marks them dialling: while
    /// <paramref name="connected"/> connections plus the dials in flight stay under
    /// <paramref name="maxConnections"/>, and the <paramref name="outgoing"/> ones plus the dials
    /// under <paramref name="maxOutgoing"/>.
    /// </summary>
    public void TakeDue(TimeSpan now, int connected, int maxConnections, int outgoing, int maxOutgoing, Func<IPEndPoint, bool> isConnected, List<IPEndPoint> output)
    {
        foreach (IPEndPoint endPoint in _order)
        {
            // Seeders dial too: the tracker hands them leechers, and some clients (transmission)
            // never dial loopback or private addresses themselves.
            if (connected + Connecting >= maxConnections || outgoing + Connecting >= maxOutgoing || Connecting >= MaxConcurrentDials)
            {
                break;
            }

            PeerCandidate candidate = _candidates[endPoint];
            if (candidate.ShouldDial(now) && !isConnected(endPoint))
            {
                candidate.Dialling();
                Connecting++;
                output.Add(endPoint);
            }
        }
    }

    /// <summary>A dial of ours ended with a handshake (<paramref name="banned"/>: with a peer we refuse).</summary>
    public void Connected(IPEndPoint endPoint, bool banned)
    {
        Connecting--;
        if (_candidates.TryGetValue(endPoint, out PeerCandidate? candidate))
        {
            candidate.Connected(banned);
        }
    }

    /// <summary>A dial of ours failed (connect or handshake).</summary>
    public void DialFailed(IPEndPoint endPoint, TimeSpan now)
    {
        Connecting--;
        Failed(endPoint, now);
    }

    /// <summary>A connection we dialled ended: dial again later.</summary>
    public void Failed(IPEndPoint endPoint, TimeSpan now)
    {
        if (_candidates.TryGetValue(endPoint, out PeerCandidate? candidate))
        {
            candidate.Failed(now);
        }
    }

    /// <summary>Never dial this address again.</summary>
    public void Ban(IPEndPoint endPoint)
    {
        if (_candidates.TryGetValue(endPoint, out PeerCandidate? candidate))
        {
            candidate.Ban();
        }
    }
}
