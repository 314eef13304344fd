using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// Every deploy ledger the tracker holds, bounded: at most <see cref="TrackerOptions.MaxDeploys"/>
/// ledgers, <see cref="TrackerOptions.MaxDeployHosts"/> hosts in one and
/// <see cref="TrackerOptions.MaxDeployEntries"/> in all; past a bound the deploy reported to least
/// recently goes first. Independent of peer expiry. Sans-IO and thread-safe like
/// <see cref="SwarmRegistry"/>: ledgers are found without a lock, each has its own.
/// </summary>
internal sealed class DeployLedgerRegistry
{
    /// <summary>The failure when a ledger is at its host limit.</summary>
    public const string FullFailure = "the deploy ledger of this torrent is full";

    private readonly ConcurrentDictionary<Hash20, DeployLedger> _ledgers = new();
    private readonly ConcurrentQueue<Hash20> _evicted = new();
    private readonly object _evictionGate = new();
    private readonly TrackerOptions _options;
    private readonly TimeProvider _time;
    private int _entryCount;
    private long _accepted;
    private long _refusedUnregistered;
    private long _refusedSwarmKey;
    private long _refusedInvalid;
    private long _refusedFull;
    private long _evictedCount;

    public DeployLedgerRegistry(TrackerOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Ledgers held.</summary>
    public int DeployCount => _ledgers.Count;

    /// <summary>Entries held across every ledger.</summary>
    public int EntryCount => Volatile.Read(ref _entryCount);

    /// <summary>Reports accepted and refused since the start.</summary>
    public LedgerCounters Counters => new(
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _refusedUnregistered),
        Interlocked.Read(ref _refusedSwarmKey),
        Interlocked.Read(ref _refusedInvalid),
        Interlocked.Read(ref _refusedFull),
        Interlocked.Read(ref _evictedCount));

    /// <summary>
    /// Records an accepted report (torrent and key already checked) from <paramref name="address"/>;
    /// a report without a host is named by the address. Name and size
    /// come from the torrent's registration (null and 0 when unknown). Returns null, or the failure.
    /// </summary>
    public string? Report(in ReportRequest request, PeerAddress address, string? name, long size)
    {
        Span<byte> addressText = stackalloc byte[64];
        ReadOnlySpan<byte> host = request.Host.IsEmpty ? addressText[..FormatAddress(address, addressText)] : request.Host;
        long now = _time.GetUtcNow().UtcTicks;
        while (true)
        {
            DeployLedger ledger = GetOrCreate(request.InfoHash, name, size, now);
            if (Volatile.Read(ref _entryCount) >= _options.MaxDeployEntries)
            {
                EvictOldest(except: ledger);
            }

            lock (ledger.Gate)
            {
                if (ledger.Removed)
                {
                    continue;
                }

                ledger.Name = name ?? ledger.Name;
                ledger.RegisteredSize = size > 0 ? size : ledger.RegisteredSize;
                int maxHosts = Volatile.Read(ref _entryCount) < _options.MaxDeployEntries ? _options.MaxDeployHosts : ledger.Count;
                if (!ledger.Apply(request, host, address, now, maxHosts, out bool added))
                {
                    CountRefusal(ReportRefusal.Full);
                    return FullFailure;
                }

                if (added)
                {
                    Interlocked.Increment(ref _entryCount);
                }

                ledger.Changed = true;
            }

            Interlocked.Increment(ref _accepted);
            return null;
        }
    }

    /// <summary>Counts a report the engine refused before it reached a ledger.</summary>
    public void CountRefusal(ReportRefusal reason)
    {
        switch (reason)
        {
            case ReportRefusal.Unregistered:
                Interlocked.Increment(ref _refusedUnregistered);
                break;
            case ReportRefusal.SwarmKey:
                Interlocked.Increment(ref _refusedSwarmKey);
                break;
            case ReportRefusal.Full:
                Interlocked.Increment(ref _refusedFull);
                break;
            default:
                Interlocked.Increment(ref _refusedInvalid);
                break;
        }
    }

    /// <summary>Every deploy with its counts, newest (first report) first. Stable accessor for the page and /metrics.</summary>
    public List<DeploySummary> Summaries()
    {
        var list = new List<DeploySummary>(_ledgers.Count);
        foreach (KeyValuePair<Hash20, DeployLedger> pair in _ledgers)
        {
            DeployLedger ledger = pair.Value;
            lock (ledger.Gate)
            {
                if (!ledger.Removed)
                {
                    list.Add(Summarize(ledger));
                }
            }
        }

        list.Sort(static (a, b) => b.FirstUtc != a.FirstUtc ? b.FirstUtc.CompareTo(a.FirstUtc) : a.InfoHash.CompareTo(b.InfoHash));
        return list;
    }

    /// <summary>
    /// A page of one deploy: entries with a version above <paramref name="since"/> (in
    /// <paramref name="stage"/> when given), in version order, at most <paramref name="limit"/>.
    /// Null for an unknown torrent. Stable accessor for the page.
    /// </summary>
    public DeployPage? Read(Hash20 infoHash, long since, int limit, LedgerStage? stage) =>
        WithPage(infoHash, since, limit, stage, static (DeployLedger ledger, ReadOnlySpan<int> indexes, long next, bool more, int _) =>
        {
            var entries = new LedgerEntrySnapshot[indexes.Length];
            for (int i = 0; i < indexes.Length; i++)
            {
                entries[i] = Snapshot(ledger[indexes[i]]);
            }

            return new DeployPage(Summarize(ledger), entries, next, more);
        }, 0);

    /// <summary>Writes the JSON of GET /deploy?info_hash=...; false (nothing written) for an unknown torrent.</summary>
    public bool WriteDeploy(in DeployQuery query, IBufferWriter<byte> output)
    {
        DateTime now = _time.GetUtcNow().UtcDateTime;
        return WithPage(query.InfoHash, query.Since, query.Limit, query.Stage, static (DeployLedger ledger, ReadOnlySpan<int> indexes, long next, bool more, (IBufferWriter<byte> Output, DateTime Now) state) =>
        {
            LedgerJson.WriteDeploy(state.Output, state.Now, ledger, indexes, next, more);
            return true;
        }, (output, now));
    }

    /// <summary>Writes the JSON of GET /deploy: every deploy, newest first.</summary>
    public void WriteList(IBufferWriter<byte> output) => LedgerJson.WriteList(output, _time.GetUtcNow().UtcDateTime, Summaries());

    /// <summary>The ledger of a torrent, or null (callers lock it).</summary>
    internal DeployLedger? Find(Hash20 infoHash) => _ledgers.TryGetValue(infoHash, out DeployLedger? ledger) ? ledger : null;

    /// <summary>Every ledger (callers lock each), for saving.</summary>
    internal ICollection<DeployLedger> All => _ledgers.Values;

    /// <summary>Info-hashes of ledgers evicted since the last call (their files are deleted).</summary>
    internal bool TryTakeEvicted(out Hash20 infoHash) => _evicted.TryDequeue(out infoHash);

    /// <summary>Adds a ledger read back from a file (at start, before any report). Returns false when one is held already.</summary>
    internal bool Restore(DeployLedger ledger)
    {
        lock (_evictionGate)
        {
            if (!_ledgers.TryAdd(ledger.InfoHash, ledger))
            {
                return false;
            }

            Interlocked.Add(ref _entryCount, ledger.Count);
        }

        while (_ledgers.Count > _options.MaxDeploys || (Volatile.Read(ref _entryCount) > _options.MaxDeployEntries && _ledgers.Count > 1))
        {
            EvictOldest(except: null);
        }

        return true;
    }

    internal static string? TagOf(string? name) =>
        name is not null && name.EndsWith(".tgz", StringComparison.Ordinal) && DeployTag.Check(name[..^4]) is null ? name[..^4] : null;

    internal static DeploySummary Summarize(DeployLedger ledger)
    {
        int[] counts = new int[LedgerNames.StageCount];
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = ledger.CountOf((LedgerStage)i);
        }

        return new DeploySummary
        {
            InfoHash = ledger.InfoHash,
            Name = ledger.Name,
            Tag = TagOf(ledger.Name),
            Size = ledger.Size,
            FirstUtc = new DateTime(ledger.FirstTicks, DateTimeKind.Utc),
            LastUtc = new DateTime(ledger.LastTicks, DateTimeKind.Utc),
            Version = ledger.Version,
            Hosts = ledger.Count,
            Counts = counts,
            Downloaded = ledger.Downloaded,
            Rate = ledger.Rate,
        };
    }

    /// <summary>Writes an address as text (ASCII); returns the length.</summary>
    internal static int FormatAddress(PeerAddress address, Span<byte> destination)
    {
        Span<char> text = stackalloc char[64];
        address.ToIPAddress().TryFormat(text, out int length);
        for (int i = 0; i < length; i++)
        {
            destination[i] = (byte)text[i];
        }

        return length;
    }

    private static LedgerEntrySnapshot Snapshot(in LedgerEntry entry)
    {
        Span<byte> address = stackalloc byte[64];
        int length = FormatAddress(entry.Address, address);
        return new LedgerEntrySnapshot(
            Encoding.UTF8.GetString(entry.Host),
            entry.Role,
            Encoding.ASCII.GetString(address[..length]),
            entry.Stage,
            new DateTime(entry.FirstTicks, DateTimeKind.Utc),
            new DateTime(entry.LastTicks, DateTimeKind.Utc),
            entry.Downloaded,
            entry.Left,
            entry.Rate,
            entry.ErrorId is null ? null : Encoding.ASCII.GetString(entry.ErrorId),
            entry.Message is null ? null : Encoding.UTF8.GetString(entry.Message),
            entry.Version);
    }

    /// <summary>Collects a page under the ledger's lock and hands it to <paramref name="reader"/>; default for an unknown torrent.</summary>
    private TResult? WithPage<TResult, TState>(Hash20 infoHash, long since, int limit, LedgerStage? stage, PageReader<TResult, TState> reader, TState state)
    {
        if (!_ledgers.TryGetValue(infoHash, out DeployLedger? ledger))
        {
            return default;
        }

        limit = Math.Clamp(limit, 1, LedgerQueryParser.MaxLimit);
        int[] indexes = ArrayPool<int>.Shared.Rent(limit);
        try
        {
            lock (ledger.Gate)
            {
                if (ledger.Removed)
                {
                    return default;
                }

                int count = ledger.Collect(since, stage, indexes.AsSpan(0, limit), out bool more, out long next);
                return reader(ledger, indexes.AsSpan(0, count), next, more, state);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indexes);
        }
    }

    private DeployLedger GetOrCreate(Hash20 infoHash, string? name, long size, long now)
    {
        if (_ledgers.TryGetValue(infoHash, out DeployLedger? ledger))
        {
            return ledger;
        }

        lock (_evictionGate)
        {
            if (_ledgers.TryGetValue(infoHash, out ledger))
            {
                return ledger;
            }

            while (_ledgers.Count >= _options.MaxDeploys)
            {
                EvictOldest(except: null);
            }

            ledger = new DeployLedger(infoHash, name, size, now);
            _ledgers[infoHash] = ledger;
            return ledger;
        }
    }

    /// <summary>Drops the ledger reported to least recently (but not <paramref name="except"/>).</summary>
    private void EvictOldest(DeployLedger? except)
    {
        lock (_evictionGate)
        {
            DeployLedger? oldest = null;
            foreach (KeyValuePair<Hash20, DeployLedger> pair in _ledgers)
            {
                // LastTicks is read without the ledger's lock: a long read is atomic on 64-bit, and
                // a value a report late is good enough to choose by.
                if (pair.Value != except && (oldest is null || pair.Value.LastTicks < oldest.LastTicks))
                {
                    oldest = pair.Value;
                }
            }

            if (oldest is null || !_ledgers.TryRemove(new KeyValuePair<Hash20, DeployLedger>(oldest.InfoHash, oldest)))
            {
                return;
            }

            lock (oldest.Gate)
            {
                oldest.Removed = true;
                Interlocked.Add(ref _entryCount, -oldest.Count);
            }

            Interlocked.Increment(ref _evictedCount);
            _evicted.Enqueue(oldest.InfoHash);
        }
    }

    private delegate TResult PageReader<TResult, TState>(DeployLedger ledger, ReadOnlySpan<int> indexes, long next, bool more, TState state);
}
