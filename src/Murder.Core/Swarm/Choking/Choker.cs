using System;
using System.Collections.Generic;
using System.Linq;
using Murder.Core.PeerWire;
using Murder.Core.Swarm.Sessions;

namespace Murder.Core.Swarm.Choking;

/// <summary>
/// Who may download from us. In a trusted swarm every interested peer is unchoked as soon as it
/// says so; otherwise tit-for-tat: every <see cref="Interval"/> the peers that sent us the most are
/// unchoked (<see cref="SwarmSettings.UploadSlots"/>) plus one other chosen at random (the
/// optimistic unchoke that lets newcomers prove themselves).
/// </summary>
internal sealed class Choker
{
    /// <summary>How often the tit-for-tat choice is made.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly SwarmSettings _settings;
    private readonly Random _random;
    private TimeSpan _lastRechoke;

    public Choker(SwarmSettings settings, Random random)
    {
        _settings = settings;
        _random = random;
    }

    /// <summary>A peer said it is interested: unchokes it at once when every interested peer may download.</summary>
    public void Interested(PeerSession session, TimeSpan now)
    {
        session.PeerInterested = true;
        if (_settings.UnchokeAll && session.AmChoking)
        {
            session.AmChoking = false;
            session.Send(new OutgoingMessage(PeerMessageKind.Unchoke), now);
        }
    }

    /// <summary>Time passed: re-chooses the unchoked peers when tit-for-tat is on and the interval is up.</summary>
    public void Tick(IReadOnlyList<PeerSession> sessions, TimeSpan now)
    {
        if (_settings.UnchokeAll || now - _lastRechoke < Interval)
        {
            return;
        }

        _lastRechoke = now;
        var interested = sessions.Where(session => session.PeerInterested).ToList();
        var keep = interested.OrderByDescending(session => session.RecentDownload).Take(_settings.UploadSlots).ToHashSet();
        var others = interested.Where(session => !keep.Contains(session)).ToList();
        if (others.Count > 0)
        {
            keep.Add(others[_random.Next(others.Count)]); // optimistic unchoke
        }

        foreach (PeerSession session in sessions)
        {
            bool choke = !keep.Contains(session);
            if (choke != session.AmChoking)
            {
                session.AmChoking = choke;
                session.Send(new OutgoingMessage(choke ? PeerMessageKind.Choke : PeerMessageKind.Unchoke), now);
            }

            session.RecentDownload = 0;
        }
    }
}
