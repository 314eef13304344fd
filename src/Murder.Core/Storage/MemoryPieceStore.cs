using System;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Storage;

/// <summary>Torrent data in memory: for unit tests of the swarm without a disk.</summary>
public sealed class MemoryPieceStore : IPieceStore
{
    private readonly byte[] _data;

    /// <summary>An empty store of the given length.</summary>
    public MemoryPieceStore(long length) => _data = new byte[length];

    /// <summary>A store holding the given data (a seeder).</summary>
    public MemoryPieceStore(byte[] data) => _data = data;

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <inheritdoc/>
    public long Length => _data.Length;

    /// <inheritdoc/>
    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellation)
    {
        _data.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellation)
    {
        lock (_data)
        {
            data.CopyTo(_data.AsMemory((int)offset));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask FlushAsync(CancellationToken cancellation) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
