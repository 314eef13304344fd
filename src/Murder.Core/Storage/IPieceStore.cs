using System;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Storage;

/// <summary>
/// Where a torrent's data lives. Offsets are positions in the torrent's data. The swarm writes only
/// verified pieces and reads blocks to upload; implementations must allow concurrent calls.
/// </summary>
public interface IPieceStore : IAsyncDisposable
{
    /// <summary>The data's total length.</summary>
    long Length { get; }

    /// <summary>Reads exactly <c>destination.Length</c> bytes at an offset.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellation);

    /// <summary>
    /// Reads like <see cref="ReadAsync"/> data that will not be asked for again soon (a check of
    /// the whole store): a store with a cache of its own does not keep it, so a seeder that verified
    /// its artifact holds no memory for it until uploads ask.
    /// </summary>
    ValueTask ReadOnceAsync(long offset, Memory<byte> destination, CancellationToken cancellation) => ReadAsync(offset, destination, cancellation);

    /// <summary>Writes bytes at an offset.</summary>
    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellation);

    /// <summary>Makes written data durable enough for others to read the file.</summary>
    ValueTask FlushAsync(CancellationToken cancellation);
}
