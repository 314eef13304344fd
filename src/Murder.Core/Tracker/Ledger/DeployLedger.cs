using System;

namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// One torrent's deploy ledger: an entry per host, found by name through a hash index, and a log
/// of (version, entry) in version order, so a read of everything after a version is a binary
/// search and a walk, never a sort. Counts per stage and the byte and rate sums are kept as
/// reports arrive. Entries are never removed (a ledger goes as a whole). Callers hold
/// <see cref="Gate"/> for every access.
/// </summary>
internal sealed class DeployLedger
{
    private const int InitialCapacity = 16;
    private readonly int[] _counts = new int[LedgerNames.StageCount];
    private LedgerEntry[] _entries = new LedgerEntry[InitialCapacity];
    private int[] _buckets = new int[InitialCapacity];
    private long[] _logVersions = new long[InitialCapacity];
    private int[] _logEntries = new int[InitialCapacity];
    private int _logCount;

    public DeployLedger(Hash20 infoHash, string? name, long size, long createdTicks)
    {
        InfoHash = infoHash;
        Name = name;
        RegisteredSize = size;
        FirstTicks = createdTicks;
        LastTicks = createdTicks;
    }

    public object Gate { get; } = new();

    public Hash20 InfoHash { get; }

    /// <summary>The torrent's name when it is registered (TAG.tgz for Murder's), or null.</summary>
    public string? Name { get; set; }

    /// <summary>The torrent's size from its registration; 0 when unknown.</summary>
    public long RegisteredSize { get; set; }

    /// <summary>The size: registered, or else the largest downloaded + left reported.</summary>
    public long Size => RegisteredSize > 0 ? RegisteredSize : ReportedSize;

    /// <summary>The largest downloaded + left a report gave.</summary>
    public long ReportedSize { get; private set; }

    /// <summary>The version of the latest accepted report (0 before any).</summary>
    public long Version { get; private set; }

    /// <summary>When the first report came (UTC ticks).</summary>
    public long FirstTicks { get; private set; }

    /// <summary>When the latest report came (UTC ticks).</summary>
    public long LastTicks { get; private set; }

    /// <summary>Hosts in the ledger.</summary>
    public int Count { get; private set; }

    /// <summary>The sum of every entry's downloaded bytes.</summary>
    public long Downloaded { get; private set; }

    /// <summary>The sum of every entry's last reported rate.</summary>
    public long Rate { get; private set; }

    /// <summary>Set once the ledger left the registry (evicted); reports that still hold it go to a new one.</summary>
    public bool Removed { get; set; }

    /// <summary>Whether it changed since it was last saved.</summary>
    public bool Changed { get; set; }

    /// <summary>
    /// Whether a host was added or changed stage since the last save: saved promptly, so a tracker
    /// killed a moment later loses no host and no stage (a result is never repeated: finished peers
    /// stop reporting). Bytes and rates alone wait for the save interval.
    /// </summary>
    public bool ResultChanged { get; set; }

    public ref readonly LedgerEntry this[int index] => ref _entries[index];

    public int CountOf(LedgerStage stage) => _counts[(int)stage];

    /// <summary>
    /// Applies an accepted report from <paramref name="host"/> and gives its entry the next
    /// version. Returns false, changing nothing, when the host is new and the ledger holds
    /// <paramref name="maxHosts"/> already.
    /// </summary>
    public bool Apply(in ReportRequest report, ReadOnlySpan<byte> host, PeerAddress address, long nowTicks, int maxHosts, out bool added)
    {
        int hash = HashOf(host);
        int index = Find(host, hash);
        added = index < 0;
        if (added)
        {
            if (Count >= maxHosts)
            {
                return false;
            }

            index = Add(host.ToArray(), hash, nowTicks);
        }
        else
        {
            Exclude(_entries[index]);
        }

        ref LedgerEntry entry = ref _entries[index];
        ResultChanged |= added || entry.Stage != report.Stage;
        entry.Stage = report.Stage;
        entry.Role = report.Role;
        entry.Address = address;
        entry.LastTicks = nowTicks;
        entry.Downloaded = report.Downloaded;
        entry.Left = report.Left;
        entry.Rate = report.Rate;
        bool failed = report.Stage == LedgerStage.Failed;
        entry.ErrorId = failed ? Reuse(entry.ErrorId, report.ErrorId) : null;
        entry.Message = failed ? Reuse(entry.Message, report.Message) : null;
        Include(entry);
        long total = report.Downloaded + report.Left;
        if (total > ReportedSize && total >= report.Downloaded)
        {
            ReportedSize = total;
        }

        LastTicks = Math.Max(LastTicks, nowTicks);
        Stamp(index, ++Version);
        return true;
    }

    /// <summary>Adds an entry read back from a file; entries must come in version order, after <see cref="RestoreHeader"/>.</summary>
    public void Restore(LedgerEntry entry)
    {
        if (entry.Version <= (_logCount > 0 ? _logVersions[_logCount - 1] : 0) || entry.Version > Version || Find(entry.Host, HashOf(entry.Host)) >= 0)
        {
            throw new FormatException("The ledger's entries are out of version order or repeat a host.");
        }

        int index = Add(entry.Host, HashOf(entry.Host), entry.FirstTicks);
        long version = entry.Version;
        entry.HashCode = _entries[index].HashCode;
        entry.NextInBucket = _entries[index].NextInBucket;
        _entries[index] = entry;
        Include(entry);
        Stamp(index, version);
        long total = entry.Downloaded + entry.Left;
        if (total > ReportedSize && total >= entry.Downloaded)
        {
            ReportedSize = total;
        }
    }

    /// <summary>Sets what a file says of the whole ledger, before its entries are restored.</summary>
    public void RestoreHeader(long version, long firstTicks, long lastTicks)
    {
        Version = version;
        FirstTicks = firstTicks;
        LastTicks = lastTicks;
    }

    /// <summary>
    /// Moves the version on by <paramref name="gap"/> (after a restart, so versions given out
    /// before a crash but never saved are not given out again to different reports).
    /// </summary>
    public void SkipVersions(long gap) => Version += gap;

    /// <summary>
    /// Entry indexes with a version above <paramref name="since"/> (in stage <paramref name="stage"/>
    /// when given), in version order, at most <paramref name="into"/>.Length. <paramref name="more"/>
    /// tells whether some were left off; <paramref name="next"/> is the since to ask with next time.
    /// </summary>
    public int Collect(long since, LedgerStage? stage, Span<int> into, out bool more, out long next)
    {
        if (since > Version)
        {
            // A version this ledger never gave: the reader followed an earlier ledger of this
            // torrent (evicted, or lost with a tracker that kept none). Everything is news to it.
            since = 0;
        }

        int taken = 0;
        more = false;
        long last = since;
        for (int position = FirstLogPositionAfter(since); position < _logCount; position++)
        {
            int index = _logEntries[position];
            ref LedgerEntry entry = ref _entries[index];
            if (entry.Version != _logVersions[position] || (stage is LedgerStage wanted && entry.Stage != wanted))
            {
                continue;
            }

            if (taken == into.Length)
            {
                more = true;
                break;
            }

            into[taken++] = index;
            last = entry.Version;
        }

        next = more ? last : Version;
        return taken;
    }

    /// <summary>Every entry index in version order (for saving).</summary>
    public int CollectAll(Span<int> into) => Collect(0, null, into, out _, out _);

    private static int HashOf(ReadOnlySpan<byte> host)
    {
        // HashCode is seeded per process: nobody can pick host names that all land in one bucket.
        var hash = default(HashCode);
        hash.AddBytes(host);
        return hash.ToHashCode();
    }

    private static byte[]? Reuse(byte[]? held, ReadOnlySpan<byte> reported)
    {
        if (reported.IsEmpty)
        {
            return null;
        }

        return held is not null && reported.SequenceEqual(held) ? held : reported.ToArray();
    }

    private int Find(ReadOnlySpan<byte> host, int hash)
    {
        for (int next = _buckets[hash & (_buckets.Length - 1)]; next != 0; next = _entries[next - 1].NextInBucket)
        {
            ref LedgerEntry entry = ref _entries[next - 1];
            if (entry.HashCode == hash && host.SequenceEqual(entry.Host))
            {
                return next - 1;
            }
        }

        return -1;
    }

    private int Add(byte[] host, int hash, long nowTicks)
    {
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
            Rehash();
        }

        int index = Count++;
        int bucket = hash & (_buckets.Length - 1);
        _entries[index] = new LedgerEntry { Host = host, HashCode = hash, NextInBucket = _buckets[bucket], FirstTicks = nowTicks };
        _buckets[bucket] = index + 1;
        return index;
    }

    private void Rehash()
    {
        _buckets = new int[_entries.Length];
        for (int index = 0; index < Count; index++)
        {
            int bucket = _entries[index].HashCode & (_buckets.Length - 1);
            _entries[index].NextInBucket = _buckets[bucket];
            _buckets[bucket] = index + 1;
        }
    }

    /// <summary>Takes an entry's old values out of the counts and sums.</summary>
    private void Exclude(in LedgerEntry entry)
    {
        _counts[(int)entry.Stage]--;
        Downloaded -= entry.Downloaded;
        Rate -= entry.Rate;
    }

    private void Include(in LedgerEntry entry)
    {
        _counts[(int)entry.Stage]++;
        Downloaded += entry.Downloaded;
        Rate += entry.Rate;
    }

    /// <summary>Gives an entry its version and appends it to the log; its older log record is then dead.</summary>
    private void Stamp(int index, long version)
    {
        _entries[index].Version = version;
        if (_logCount == _logVersions.Length)
        {
            // Compacting once dead records are half the log keeps it under twice the hosts,
            // amortized O(1) per report.
            if (_logCount - Count >= _logCount / 2)
            {
                Compact();
            }
            else
            {
                Array.Resize(ref _logVersions, _logVersions.Length * 2);
                Array.Resize(ref _logEntries, _logEntries.Length * 2);
            }
        }

        _logVersions[_logCount] = version;
        _logEntries[_logCount++] = index;
    }

    private void Compact()
    {
        int kept = 0;
        for (int position = 0; position < _logCount; position++)
        {
            int index = _logEntries[position];
            if (_entries[index].Version == _logVersions[position])
            {
                _logVersions[kept] = _logVersions[position];
                _logEntries[kept++] = index;
            }
        }

        _logCount = kept;
    }

    private int FirstLogPositionAfter(long since)
    {
        int low = 0, high = _logCount;
        while (low < high)
        {
            int middle = low + ((high - low) / 2);
            if (_logVersions[middle] <= since)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
