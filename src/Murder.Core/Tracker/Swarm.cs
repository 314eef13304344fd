using System;
using System.Collections.Generic;

namespace Murder.Core.Tracker;

/// <summary>
/// The peers of one torrent. Peers live in a dense array (removal swaps the last one in) with an
/// index by peer id, so picking peers at random and expiring are cheap. Callers hold
/// <see cref="Gate"/> for every access.
/// </summary>
internal sealed class Swarm
{
    private PeerEntry[] _peers = new PeerEntry[4];
    private readonly Dictionary<Hash20, int> _index = new();

    public Swarm(Hash20 infoHash, string? name, bool registered)
    {
        InfoHash = infoHash;
        Name = name;
        Registered = registered;
    }

    public object Gate { get; } = new();

    public Hash20 InfoHash { get; }

    public string? Name { get; set; }

    public bool Registered { get; set; }

    /// <summary>The torrent's size in bytes from its registration; 0 when unknown.</summary>
    public long Size { get; set; }

    /// <summary>Set once the swarm left the registry; announces that still hold it must fail.</summary>
    public bool Removed { get; set; }

    public int Count { get; private set; }

    public int Seeders { get; set; }

    public int Leechers => Count - Seeders;

    public long Completed { get; set; }

    public int IndexOf(Hash20 peerId) => _index.TryGetValue(peerId, out int index) ? index : -1;

    public ref PeerEntry this[int index] => ref _peers[index];

    public int Add(in PeerEntry peer)
    {
        if (Count == _peers.Length)
        {
            Array.Resize(ref _peers, _peers.Length * 2);
        }

        _peers[Count] = peer;
        _index[peer.PeerId] = Count;
        if (peer.IsSeeder)
        {
            Seeders++;
        }

        return Count++;
    }

    public void RemoveAt(int index)
    {
        PeerEntry removed = _peers[index];
        _index.Remove(removed.PeerId);
        if (removed.IsSeeder)
        {
            Seeders--;
        }

        int last = --Count;
        if (index != last)
        {
            _peers[index] = _peers[last];
            _index[_peers[index].PeerId] = index;
        }

        _peers[last] = default;
        if (_peers.Length > 64 && Count < _peers.Length / 4)
        {
            Array.Resize(ref _peers, _peers.Length / 2);
            _index.TrimExcess();
        }
    }

    /// <summary>Removes peers last seen before <paramref name="cutoff"/>; returns how many.</summary>
    public int RemoveOlderThan(long cutoff)
    {
        int removed = 0;
        for (int i = Count - 1; i >= 0; i--)
        {
            if (_peers[i].LastSeen < cutoff)
            {
                RemoveAt(i);
                removed++;
            }
        }

        return removed;
    }

    public void Clear()
    {
        _index.Clear();
        _peers = new PeerEntry[4];
        Count = 0;
        Seeders = 0;
    }
}
