using System;
using System.Threading;

namespace Murder.Core.Packaging;

/// <summary>Live counters of a torrent creation, updated by the worker and read from any thread.</summary>
public sealed class TorrentCreationProgress
{
    private long _estimatedTotalBytes;
    private Func<long>? _processed;
    private Func<long>? _written;

    /// <summary>Input bytes packed so far.</summary>
    public long BytesProcessed => Volatile.Read(ref _processed)?.Invoke() ?? 0;

    /// <summary>The expected input size (0 until known).</summary>
    public long EstimatedTotalBytes => Interlocked.Read(ref _estimatedTotalBytes);

    /// <summary>Artifact bytes written so far.</summary>
    public long BytesWritten => Volatile.Read(ref _written)?.Invoke() ?? 0;

    internal void Track(long estimatedTotal, Func<long> processed, Func<long> written)
    {
        Interlocked.Exchange(ref _estimatedTotalBytes, estimatedTotal);
        Volatile.Write(ref _processed, processed);
        Volatile.Write(ref _written, written);
    }
}
