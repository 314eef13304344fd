using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace Murder.Core.Storage;

/// <summary>
/// A single file accessed with positional I/O (RandomAccess): no shared file position, so uploads
/// and piece writes proceed concurrently without a lock.
/// </summary>
public sealed class FilePieceStore : IPieceStore
{
    private readonly SafeFileHandle _handle;

    private FilePieceStore(string path, SafeFileHandle handle, long length, bool writable)
    {
        Path = path;
        _handle = handle;
        Length = length;
        IsWritable = writable;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public long Length { get; }

    /// <summary>Whether pieces can be written (a download) or only read (seeding).</summary>
    public bool IsWritable { get; }

    /// <summary>Opens an existing file for seeding; its length must be the torrent's.</summary>
    public static FilePieceStore OpenForReading(string path, long expectedLength)
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

        return new FilePieceStore(path, handle, length, writable: false);
    }

    /// <summary>
    /// Opens or creates the download file and sizes it to the torrent's length. Existing content is
    /// kept so a restarted peer resumes after re-checking it.
    /// </summary>
    public static FilePieceStore OpenForDownload(string path, long length)
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

        return new FilePieceStore(path, handle, length, writable: true);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Synchronous positional reads, completed before returning: on Unix, RandomAccess.ReadAsync is
    /// a thread-pool hop per call, which costs more than a 16 KiB read from the page cache, and
    /// uploads read one block at a time.
    /// </remarks>
    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellation)
    {
        if (cancellation.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellation);
        }

        try
        {
            int done = 0;
            while (done < destination.Length)
            {
                int read = RandomAccess.Read(_handle, destination.Span[done..], offset + done);
                if (read == 0)
                {
                    throw new EndOfStreamException($"'{Path}' ended at {offset + done} bytes; it was truncated while in use.");
                }

                done += read;
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return ValueTask.FromException(error);
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
            RandomAccess.Write(_handle, data.Span, offset);
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
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }
}
