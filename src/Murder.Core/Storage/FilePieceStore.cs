using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace Murder.Core.Storage;

/// <summary>
/// A single file accessed with positional I/O (RandomAccess): no shared file position, so uploads
/// and piece writes proceed concurrently.
/// </summary>
/// <remarks>
/// On Linux the file is read and written with direct I/O (<see cref="UncachedIo"/>), past the page
/// cache, and a small cache of its own keeps the most recently written or read
/// <see cref="GranuleSize"/> regions: uploads ask for 16 KiB blocks of the pieces that were just
/// verified, so one direct read serves many blocks and most blocks come from memory that is used
/// over and over. Elsewhere, or where the file system refuses direct I/O, reads and writes are
/// ordinary buffered ones.
/// </remarks>
public sealed class FilePieceStore : IPieceStore
{
    /// <summary>The unit of the store's own cache and of its direct reads.</summary>
    internal const int GranuleSize = 256 * 1024;

    /// <summary>How many granules the store keeps (8 MiB).</summary>
    internal const int CachedGranules = 32;

    private readonly SafeFileHandle _handle;
    private readonly object _cacheLock = new();
    private readonly Dictionary<long, LinkedListNode<Granule>> _granules = new();
    private readonly LinkedList<Granule> _recent = new();
    private readonly Stack<Memory<byte>> _spare = new();
    private SafeFileHandle? _direct;

    private FilePieceStore(string path, SafeFileHandle handle, long length, bool writable, bool uncached)
    {
        Path = path;
        _handle = handle;
        Length = length;
        IsWritable = writable;
        _direct = uncached ? UncachedIo.TryOpen(path, writable) : null;
    }

    /// <summary>Whether reads and writes currently go past the page cache.</summary>
    internal bool IsUncached => Volatile.Read(ref _direct) is not null;

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public long Length { get; }

    /// <summary>Whether pieces can be written (a download) or only read (seeding).</summary>
    public bool IsWritable { get; }

    /// <summary>Opens an existing file for seeding; its length must be the torrent's.</summary>
    public static FilePieceStore OpenForReading(string path, long expectedLength) => OpenForReading(path, expectedLength, uncached: true);

    /// <summary>Opens or creates the download file and sizes it to the torrent's length. Existing content is
    /// kept so a restarted peer resumes after re-checking it.</summary>
    public static FilePieceStore OpenForDownload(string path, long length) => OpenForDownload(path, length, uncached: true);

    /// <summary><see cref="OpenForReading(string, long)"/>; <paramref name="uncached"/> false keeps to buffered I/O (tests).</summary>
    internal static FilePieceStore OpenForReading(string path, long expectedLength, bool uncached)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        long length = RandomAccess.GetLength(handle);
        if (length != expectedLength)
        {
            handle.Dispose();
            throw new MurderException(
                "ArtifactMismatch",
                MurderErrorCategory.InvalidData,
                $"'{path}' is {length} bytes but the torrent describes {expectedLength}. Use the artifact the torrent was made from, or make the torrent again.")
            {
                TargetObject = path,
            };
        }

        return new FilePieceStore(path, handle, length, writable: false, uncached);
    }

    /// <summary><see cref="OpenForDownload(string, long)"/>; <paramref name="uncached"/> false keeps to buffered I/O (tests).</summary>
    internal static FilePieceStore OpenForDownload(string path, long length, bool uncached)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        SafeFileHandle handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        try
        {
            if (RandomAccess.GetLength(handle) != length)
            {
                RandomAccess.SetLength(handle, length);
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return new FilePieceStore(path, handle, length, writable: true, uncached);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Synchronous positional reads, completed before returning: on Unix, RandomAccess.ReadAsync is
    /// a thread-pool hop per call, which costs more than a 16 KiB read from memory, and uploads
    /// read one block at a time.
    /// </remarks>
    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellation) => Read(offset, destination, once: false, cancellation);

    /// <inheritdoc/>
    /// <remarks>
    /// With direct I/O, through a granule-sized buffer that goes back to the spare ones at once (at
    /// most one per concurrent reader): the store's cache keeps nothing of it and loses nothing it
    /// had. Synchronous, like <see cref="ReadAsync"/>.
    /// </remarks>
    public ValueTask ReadOnceAsync(long offset, Memory<byte> destination, CancellationToken cancellation) => Read(offset, destination, once: true, cancellation);

    private ValueTask Read(long offset, Memory<byte> destination, bool once, CancellationToken cancellation)
    {
        if (cancellation.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellation);
        }

        try
        {
            if (!(once ? TryReadOnceUncached(offset, destination.Span) : TryReadUncached(offset, destination.Span)))
            {
                ReadBuffered(offset, destination.Span);
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return ValueTask.FromException(error);
        }
    }

    /// <summary>How many granules the cache holds now (tests).</summary>
    internal int CachedGranuleCount
    {
        get
        {
            lock (_cacheLock)
            {
                return _granules.Count;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Synchronous, like <see cref="ReadAsync"/>: callers write whole verified pieces from a worker thread.</remarks>
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellation)
    {
        if (cancellation.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellation);
        }

        try
        {
            if (!TryWriteUncached(offset, data.Span))
            {
                RandomAccess.Write(_handle, data.Span, offset);
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return ValueTask.FromException(error);
        }
    }

    /// <inheritdoc/>
    public ValueTask FlushAsync(CancellationToken cancellation)
    {
        if (IsWritable)
        {
            RandomAccess.FlushToDisk(_handle);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _direct, null)?.Dispose();
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }

    private void ReadBuffered(long offset, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int read = RandomAccess.Read(_handle, destination[done..], offset + done);
            if (read == 0)
            {
                throw TruncatedAt(offset + done);
            }

            done += read;
        }
    }

    private EndOfStreamException TruncatedAt(long offset) => new($"'{Path}' ended at {offset} bytes; it was truncated while in use.");

    /// <summary>Serves a read from the store's granules, reading missing ones with direct I/O; false when direct I/O is off.</summary>
    private bool TryReadUncached(long offset, Span<byte> destination)
    {
        SafeFileHandle? direct = Volatile.Read(ref _direct);
        if (direct is null)
        {
            return false;
        }

        int done = 0;
        lock (_cacheLock)
        {
            while (done < destination.Length)
            {
                long position = offset + done;
                long index = position / GranuleSize;
                Granule? granule = FindGranule(index);
                if (granule is null)
                {
                    granule = LoadGranule(direct, index);
                    if (granule is null)
                    {
                        return false;
                    }
                }

                int within = (int)(position - (index * GranuleSize));
                if (within >= granule.Length)
                {
                    throw TruncatedAt(position);
                }

                int count = Math.Min(destination.Length - done, granule.Length - within);
                granule.Buffer.Span.Slice(within, count).CopyTo(destination[done..]);
                done += count;
            }
        }

        return true;
    }

    /// <summary>Reads with direct I/O in aligned chunks of at most a granule, none of them cached; false when direct I/O is off or was refused.</summary>
    private bool TryReadOnceUncached(long offset, Span<byte> destination)
    {
        SafeFileHandle? direct = Volatile.Read(ref _direct);
        if (direct is null)
        {
            return false;
        }

        Memory<byte> scratch = RentBuffer();
        try
        {
            int done = 0;
            while (done < destination.Length)
            {
                long position = offset + done;
                long start = position / UncachedIo.Alignment * UncachedIo.Alignment;
                int skip = (int)(position - start);
                int count = Math.Min(destination.Length - done, GranuleSize - skip);
                int want = (int)UncachedIo.RoundUp(skip + count);
                int have = 0;
                while (have < skip + count)
                {
                    int read = 0;
                    if (!TryDirect(() => read = RandomAccess.Read(direct, scratch.Span[have..want], start + have)))
                    {
                        return false;
                    }

                    if (read == 0)
                    {
                        throw TruncatedAt(start + have);
                    }

                    have += read;
                }

                scratch.Span.Slice(skip, count).CopyTo(destination[done..]);
                done += count;
            }

            return true;
        }
        finally
        {
            ReturnBuffer(scratch);
        }
    }

    /// <summary>Writes with direct I/O what is aligned (all but the file's last partial 4 KiB), and keeps the granules current.</summary>
    private bool TryWriteUncached(long offset, ReadOnlySpan<byte> data)
    {
        SafeFileHandle? direct = Volatile.Read(ref _direct);
        if (direct is null || !UncachedIo.IsAligned(offset) || offset + data.Length > Length)
        {
            InvalidateGranules(offset, data.Length);
            return false;
        }

        int aligned = data.Length / UncachedIo.Alignment * UncachedIo.Alignment;
        int done = 0;
        while (done < data.Length)
        {
            long position = offset + done;
            long index = position / GranuleSize;
            int within = (int)(position - (index * GranuleSize));
            int count = Math.Min(data.Length - done, GranuleSize - within);
            int directCount = Math.Min(count, Math.Max(0, aligned - done));
            Memory<byte> bounce = RentBuffer();
            data.Slice(done, count).CopyTo(bounce.Span[within..]);
            if (directCount > 0 && !TryDirect(() => RandomAccess.Write(direct, bounce.Span.Slice(within, directCount), position)))
            {
                ReturnBuffer(bounce);
                InvalidateGranules(offset, data.Length);
                RandomAccess.Write(_handle, data[done..], position);
                return true;
            }

            if (directCount < count)
            {
                // The end of a file whose length is not a multiple of 4 KiB: direct I/O cannot write it.
                RandomAccess.Write(_handle, data.Slice(done + directCount, count - directCount), position + directCount);
            }

            StoreGranule(index, within, count, bounce);
            done += count;
        }

        return true;
    }

    /// <summary>Runs one direct operation; on a refusal (EINVAL and the like) turns direct I/O off for this store.</summary>
    private bool TryDirect(Action operation)
    {
        try
        {
            operation();
            return true;
        }
        catch (IOException) when (Volatile.Read(ref _direct) is not null)
        {
            // Buffered I/O is always possible; what direct I/O refuses once it will refuse again.
            lock (_cacheLock)
            {
                _granules.Clear();
                _recent.Clear();
            }

            Volatile.Write(ref _direct, null);
            return false;
        }
    }

    private Granule? FindGranule(long index)
    {
        if (!_granules.TryGetValue(index, out LinkedListNode<Granule>? node))
        {
            return null;
        }

        _recent.Remove(node);
        _recent.AddFirst(node);
        return node.Value;
    }

    /// <summary>Reads granule <paramref name="index"/> with direct I/O (under the cache lock); null if direct I/O was refused.</summary>
    private Granule? LoadGranule(SafeFileHandle direct, long index)
    {
        long start = index * GranuleSize;
        int length = (int)Math.Min(GranuleSize, Length - start);
        if (length <= 0)
        {
            throw TruncatedAt(start);
        }

        Memory<byte> buffer = RentBuffer();
        int want = (int)UncachedIo.RoundUp(length);
        int done = 0;
        while (done < length)
        {
            int read = 0;
            if (!TryDirect(() => read = RandomAccess.Read(direct, buffer.Span[done..want], start + done)))
            {
                _spare.Push(buffer);
                return null;
            }

            if (read == 0)
            {
                _spare.Push(buffer);
                throw TruncatedAt(start + done);
            }

            done += read;
        }

        var granule = new Granule(index, buffer, length);
        Insert(granule);
        return granule;
    }

    /// <summary>
    /// After a write of [within, within + count) of granule <paramref name="index"/>, held in
    /// <paramref name="written"/> at the same place: a whole granule becomes the cached one; part
    /// of one updates the cached copy, if any.
    /// </summary>
    private void StoreGranule(long index, int within, int count, Memory<byte> written)
    {
        int length = (int)Math.Min(GranuleSize, Length - (index * GranuleSize));
        lock (_cacheLock)
        {
            if (within == 0 && count == length)
            {
                if (_granules.Remove(index, out LinkedListNode<Granule>? old))
                {
                    _recent.Remove(old);
                    _spare.Push(old.Value.Buffer);
                }

                Insert(new Granule(index, written, length));
                return;
            }

            if (_granules.TryGetValue(index, out LinkedListNode<Granule>? node))
            {
                written.Span.Slice(within, count).CopyTo(node.Value.Buffer.Span[within..]);
            }

            _spare.Push(written);
        }
    }

    private void InvalidateGranules(long offset, int count)
    {
        if (Volatile.Read(ref _direct) is null)
        {
            return;
        }

        lock (_cacheLock)
        {
            for (long index = offset / GranuleSize; index <= (offset + Math.Max(0, count - 1)) / GranuleSize; index++)
            {
                if (_granules.Remove(index, out LinkedListNode<Granule>? node))
                {
                    _recent.Remove(node);
                    _spare.Push(node.Value.Buffer);
                }
            }
        }
    }

    private void Insert(Granule granule)
    {
        _granules[granule.Index] = _recent.AddFirst(granule);
        while (_recent.Count > CachedGranules)
        {
            LinkedListNode<Granule> oldest = _recent.Last!;
            _recent.RemoveLast();
            _granules.Remove(oldest.Value.Index);
            _spare.Push(oldest.Value.Buffer);
        }
    }

    private Memory<byte> RentBuffer()
    {
        lock (_cacheLock)
        {
            if (_spare.TryPop(out Memory<byte> buffer))
            {
                return buffer;
            }
        }

        return UncachedIo.AllocateAligned(GranuleSize);
    }

    private void ReturnBuffer(Memory<byte> buffer)
    {
        lock (_cacheLock)
        {
            _spare.Push(buffer);
        }
    }

    private sealed record Granule(long Index, Memory<byte> Buffer, int Length);
}
