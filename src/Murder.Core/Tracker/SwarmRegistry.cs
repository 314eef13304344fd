using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker;

/// <summary>
/// Every swarm the tracker knows: registration, announces, scrapes and expiry. Sans-IO and
/// thread-safe: swarms are found without a lock, each swarm has its own. Time comes from an
/// injectable <see cref="TimeProvider"/>.
/// </summary>
internal sealed class SwarmRegistry
{
    /// <summary>The failure for a torrent the tracker does not serve.</summary>
    public const string UnregisteredFailure = TrackerRefusal.Unregistered;

    private const int StackSelection = 512;

    /// <summary>Swarms up to 64 times this many peers mark the peers looked at on the stack.</summary>
    private const int StackSeenWords = 256;
    private readonly ConcurrentDictionary<Hash20, Swarm> _swarms = new();
    private readonly TrackerOptions _options;
    private readonly TimeProvider _time;
    private readonly long _expiryTicks;
    private int _peerCount;

    public SwarmRegistry(TrackerOptions options, TimeProvider time)
    {
        options.Validate();
        _options = options;
        _time = time;
        _expiryTicks = (long)(options.EffectivePeerExpiry.TotalSeconds * time.TimestampFrequency);
    }

    public TrackerOptions Options => _options;

    /// <summary>The registry's clock.</summary>
    public TimeProvider Time => _time;

    /// <summary>Where announces start their run of peers; the simulator (single-threaded) seeds it for a repeatable run.</summary>
    internal Random PeerSelection { get; init; } = Random.Shared;

    public int PeerCount => Volatile.Read(ref _peerCount);

    public int TorrentCount => _swarms.Count;

    /// <summary>Allows a torrent (registration) of <paramref name="size"/> bytes (0 when unknown); a second registration only renames it.</summary>
    public void Register(InfoHash infoHash, string? name, long size = 0)
    {
        Hash20 key = Hash20.Read(infoHash.Bytes);
        while (true)
        {
            Swarm swarm = _swarms.GetOrAdd(key, static (k, n) => new Swarm(k, n, registered: true), name);
            lock (swarm.Gate)
            {
                if (swarm.Removed)
                {
                    continue;
                }

                swarm.Registered = true;
                swarm.Name = name ?? swarm.Name;
                swarm.Size = size > 0 ? size : swarm.Size;
                return;
            }
        }
    }

    /// <summary>Withdraws a registration and drops the swarm's peers. Returns whether it was known.</summary>
    public bool Unregister(InfoHash infoHash)
    {
        if (!_swarms.TryRemove(Hash20.Read(infoHash.Bytes), out Swarm? swarm))
        {
            return false;
        }

        lock (swarm.Gate)
        {
            swarm.Removed = true;
            Interlocked.Add(ref _peerCount, -swarm.Count);
            swarm.Clear();
        }

        return true;
    }

    public bool IsRegistered(InfoHash infoHash) =>
        _swarms.TryGetValue(Hash20.Read(infoHash.Bytes), out Swarm? swarm) && swarm.Registered;

    /// <summary>
    /// Whether the tracker serves a torrent (it is registered, or the tracker is open), with the
    /// name and size its registration gave (null and 0 when unknown).
    /// </summary>
    public bool Serves(Hash20 infoHash, out string? name, out long size)
    {
        bool known = _swarms.TryGetValue(infoHash, out Swarm? swarm) && swarm.Registered && !swarm.Removed;
        name = known ? swarm!.Name : null;
        size = known ? swarm!.Size : 0;
        return known || _options.Open;
    }

    /// <summary>
    /// Handles an announce from <paramref name="address"/> (already chosen between the connection's
    /// source and ip=) and writes the bencoded response body. Returns null, or the failure reason
    /// (nothing written) when the announce is refused.
    /// </summary>
    public string? Announce(in AnnounceRequest request, PeerAddress address, ResponseBuilder output)
    {
        if (!_swarms.TryGetValue(request.InfoHash, out Swarm? swarm))
        {
            if (!_options.Open)
            {
                return TrackerRefusal.Unregistered;
            }

            if (request.Event == TrackerEvent.Stopped)
            {
                WriteAnnounceResponse(output, 0, 0, 0, ReadOnlySpan<int>.Empty, null, request);
                return null;
            }

            if (_swarms.Count >= _options.MaxTorrents)
            {
                return "the tracker has reached its torrent limit";
            }

            swarm = _swarms.GetOrAdd(request.InfoHash, static k => new Swarm(k, null, registered: false));
        }

        long now = _time.GetTimestamp();
        lock (swarm.Gate)
        {
            if (swarm.Removed)
            {
                return TrackerRefusal.Unregistered;
            }

            int index = swarm.IndexOf(request.PeerId);
            if (request.Event == TrackerEvent.Stopped)
            {
                if (index >= 0)
                {
                    // A leecher that leaves with nothing left finished its download (some clients
                    // that stop at once never send event=completed).
                    if (request.Left == 0 && !swarm[index].IsSeeder && !swarm[index].CountedCompleted)
                    {
                        swarm.Completed++;
                    }

                    swarm.RemoveAt(index);
                    Interlocked.Decrement(ref _peerCount);
                }

                WriteAnnounceResponse(output, swarm.Seeders, swarm.Leechers, swarm.Completed, ReadOnlySpan<int>.Empty, null, request);
                return null;
            }

            bool isSeeder = request.Left == 0;
            if (index < 0)
            {
                if (Interlocked.Increment(ref _peerCount) > _options.MaxPeers)
                {
                    Interlocked.Decrement(ref _peerCount);
                    return "the tracker has reached its peer limit";
                }

                index = swarm.Add(new PeerEntry
                {
                    PeerId = request.PeerId,
                    Address = address,
                    Port = (ushort)request.Port,
                    IsSeeder = isSeeder,
                    LastSeen = now,
                });
            }
            else
            {
                ref PeerEntry peer = ref swarm[index];
                if (isSeeder && !peer.IsSeeder && !peer.CountedCompleted)
                {
                    // A leecher that now has everything completed, whether or not it says so.
                    peer.CountedCompleted = true;
                    swarm.Completed++;
                }

                if (peer.IsSeeder != isSeeder)
                {
                    swarm.Seeders += isSeeder ? 1 : -1;
                    peer.IsSeeder = isSeeder;
                }

                peer.Address = address;
                peer.Port = (ushort)request.Port;
                peer.LastSeen = now;
            }

            if (request.Event == TrackerEvent.Completed && !swarm[index].CountedCompleted)
            {
                swarm[index].CountedCompleted = true;
                swarm.Completed++;
            }

            int wanted = request.NumWant < 0 ? _options.DefaultNumWant : Math.Min(request.NumWant, _options.MaxNumWant);
            int[]? rented = null;
            Span<int> selection = wanted <= StackSelection ? stackalloc int[StackSelection] : (rented = ArrayPool<int>.Shared.Rent(wanted));
            int selected = SelectPeers(swarm, index, isSeeder, wanted, selection);
            WriteAnnounceResponse(output, swarm.Seeders, swarm.Leechers, swarm.Completed, selection[..selected], swarm, request);
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }

        return null;
    }

    /// <summary>
    /// Writes a scrape response (BEP 48) for the given info-hashes, or for every torrent when none
    /// are given. Unknown info-hashes are left out.
    /// </summary>
    public void Scrape(Span<Hash20> infoHashes, ResponseBuilder output)
    {
        output.Write("d5:filesd"u8);
        if (infoHashes.IsEmpty)
        {
            List<SwarmSnapshot> all = Snapshot();
            foreach (SwarmSnapshot swarm in all)
            {
                WriteScrapeEntry(output, swarm);
            }
        }
        else
        {
            infoHashes.Sort();
            for (int i = 0; i < infoHashes.Length; i++)
            {
                if (i > 0 && infoHashes[i] == infoHashes[i - 1])
                {
                    continue;
                }

                if (_swarms.TryGetValue(infoHashes[i], out Swarm? swarm))
                {
                    SwarmSnapshot snapshot;
                    lock (swarm.Gate)
                    {
                        snapshot = new SwarmSnapshot(swarm.InfoHash, swarm.Name, swarm.Registered, swarm.Seeders, swarm.Leechers, swarm.Completed);
                    }

                    WriteScrapeEntry(output, snapshot);
                }
            }
        }

        output.Write("ee"u8);
    }

    /// <summary>Every torrent's counts, sorted by info-hash.</summary>
    public List<SwarmSnapshot> Snapshot()
    {
        var list = new List<SwarmSnapshot>(_swarms.Count);
        foreach (KeyValuePair<Hash20, Swarm> pair in _swarms)
        {
            Swarm swarm = pair.Value;
            lock (swarm.Gate)
            {
                if (!swarm.Removed)
                {
                    list.Add(new SwarmSnapshot(swarm.InfoHash, swarm.Name, swarm.Registered, swarm.Seeders, swarm.Leechers, swarm.Completed));
                }
            }
        }

        list.Sort(static (a, b) => a.InfoHash.CompareTo(b.InfoHash));
        return list;
    }

    /// <summary>
    /// Drops peers that missed their announces for longer than the expiry, and empty swarms that
    /// an open tracker created. Returns how many peers went.
    /// </summary>
    public int ExpirePeers()
    {
        long cutoff = _time.GetTimestamp() - _expiryTicks;
        int removed = 0;
        foreach (KeyValuePair<Hash20, Swarm> pair in _swarms)
        {
            Swarm swarm = pair.Value;
            lock (swarm.Gate)
            {
                int gone = swarm.RemoveOlderThan(cutoff);
                removed += gone;
                Interlocked.Add(ref _peerCount, -gone);
                if (swarm.Count == 0 && !swarm.Registered && !swarm.Removed)
                {
                    swarm.Removed = true;
                    _swarms.TryRemove(pair);
                }
            }
        }

        return removed;
    }

    private int SelectPeers(Swarm swarm, int self, bool requesterIsSeeder, int wanted, Span<int> selection)
    {
        int count = swarm.Count;
        if (wanted <= 0 || count <= 1)
        {
            return 0;
        }

        // Peers drawn at random from the whole swarm, a bit per peer marking those looked at:
        // O(wanted + count/64). A run of neighbours in the array (as before) was a cohort that joined
        // together: a newcomer given the latest joiners connected to downloaders only, and got its
        // last pieces at a third of its rate from the few seeds that whole cohort was queued at.
        int words = (count + 63) / 64;
        ulong[]? rented = null;
        Span<ulong> seen = words <= StackSeenWords ? stackalloc ulong[StackSeenWords] : (rented = ArrayPool<ulong>.Shared.Rent(words));
        seen = seen[..words];
        seen.Clear();
        int selected = 0;
        if ((long)wanted * 2 <= count)
        {
            for (int draw = 0; draw < wanted * 4 && selected < wanted; draw++)
            {
                int index = PeerSelection.Next(count);
                if (FirstLook(seen, index) && Eligible(swarm, index, self, requesterIsSeeder))
                {
                    selection[selected++] = index;
                }
            }
        }

        // What draws did not fill (much of the swarm wanted, or most of it excluded): a walk from a random place.
        int start = PeerSelection.Next(count);
        for (int step = 0; step < count && selected < wanted; step++)
        {
            int index = start + step;
            if (index >= count)
            {
                index -= count;
            }

            if (FirstLook(seen, index) && Eligible(swarm, index, self, requesterIsSeeder))
            {
                selection[selected++] = index;
            }
        }

        if (rented is not null)
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }

        return selected;
    }

    /// <summary>Marks the peer looked at; false when it was already.</summary>
    private static bool FirstLook(Span<ulong> seen, int index)
    {
        ulong bit = 1UL << (index & 63);
        ref ulong word = ref seen[index >> 6];
        if ((word & bit) != 0)
        {
            return false;
        }

        word |= bit;
        return true;
    }

    // Seeders have no use for other seeders.
    private static bool Eligible(Swarm swarm, int index, int self, bool requesterIsSeeder) =>
        index != self && !(requesterIsSeeder && swarm[index].IsSeeder);

    private void WriteAnnounceResponse(ResponseBuilder output, int seeders, int leechers, long completed, ReadOnlySpan<int> selection, Swarm? swarm, in AnnounceRequest request)
    {
        long interval = (long)_options.AnnounceInterval.TotalSeconds;
        output.Write("d8:complete"u8);
        output.WriteInteger(seeders);
        output.Write("10:downloaded"u8);
        output.WriteInteger(completed);
        output.Write("10:incomplete"u8);
        output.WriteInteger(leechers);
        output.Write("8:interval"u8);
        output.WriteInteger(interval);
        output.Write("12:min interval"u8);
        output.WriteInteger(interval);
        if (request.Compact)
        {
            WriteCompactPeers(output, selection, swarm);
        }
        else
        {
            WriteDictionaryPeers(output, selection, swarm, request.NoPeerId);
        }

        output.WriteByte((byte)'e');
    }

    private static void WriteCompactPeers(ResponseBuilder output, ReadOnlySpan<int> selection, Swarm? swarm)
    {
        int v6 = 0;
        for (int i = 0; i < selection.Length; i++)
        {
            if (swarm![selection[i]].Address.IsV6)
            {
                v6++;
            }
        }

        int v4 = selection.Length - v6;
        output.Write("5:peers"u8);
        output.WriteDecimal(v4 * 6);
        output.WriteByte((byte)':');
        WriteCompactFamily(output, selection, swarm, isV6: false, v4 * 6);
        if (v6 > 0)
        {
            output.Write("6:peers6"u8);
            output.WriteDecimal(v6 * 18);
            output.WriteByte((byte)':');
            WriteCompactFamily(output, selection, swarm, isV6: true, v6 * 18);
        }
    }

    private static void WriteCompactFamily(ResponseBuilder output, ReadOnlySpan<int> selection, Swarm? swarm, bool isV6, int bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        Span<byte> span = output.GetSpan(bytes);
        int position = 0;
        int addressLength = isV6 ? 16 : 4;
        for (int i = 0; i < selection.Length; i++)
        {
            ref PeerEntry peer = ref swarm![selection[i]];
            if (peer.Address.IsV6 != isV6)
            {
                continue;
            }

            peer.Address.Write(span[position..]);
            span[position + addressLength] = (byte)(peer.Port >> 8);
            span[position + addressLength + 1] = (byte)peer.Port;
            position += addressLength + 2;
        }

        output.Advance(bytes);
    }

    private static void WriteDictionaryPeers(ResponseBuilder output, ReadOnlySpan<int> selection, Swarm? swarm, bool noPeerId)
    {
        output.Write("5:peersl"u8);
        Span<byte> id = stackalloc byte[Hash20.Length];
        Span<char> text = stackalloc char[64];
        Span<byte> ascii = stackalloc byte[64];
        for (int i = 0; i < selection.Length; i++)
        {
            ref PeerEntry peer = ref swarm![selection[i]];
            output.Write("d2:ip"u8);
            IPAddress address = peer.Address.ToIPAddress();
            address.TryFormat(text, out int length);
            for (int c = 0; c < length; c++)
            {
                ascii[c] = (byte)text[c];
            }

            output.WriteString(ascii[..length]);
            if (!noPeerId)
            {
                output.Write("7:peer id"u8);
                peer.PeerId.CopyTo(id);
                output.WriteString(id);
            }

            output.Write("4:port"u8);
            output.WriteInteger(peer.Port);
            output.WriteByte((byte)'e');
        }

        output.WriteByte((byte)'e');
    }

    private static void WriteScrapeEntry(ResponseBuilder output, in SwarmSnapshot swarm)
    {
        Span<byte> key = stackalloc byte[Hash20.Length];
        swarm.InfoHash.CopyTo(key);
        output.WriteString(key);
        output.Write("d8:complete"u8);
        output.WriteInteger(swarm.Seeders);
        output.Write("10:downloaded"u8);
        output.WriteInteger(swarm.Completed);
        output.Write("10:incomplete"u8);
        output.WriteInteger(swarm.Leechers);
        if (swarm.Name is not null)
        {
            output.Write("4:name"u8);
            output.WriteString(System.Text.Encoding.UTF8.GetBytes(swarm.Name));
        }

        output.WriteByte((byte)'e');
    }
}
