using System;
using System.Buffers;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;

namespace Murder.Core.Storage;

/// <summary>
/// Hash-checks what a store already holds: a seeder proves its artifact matches the torrent, and a
/// restarted peer resumes with the pieces it already has. Pieces are checked in parallel.
/// </summary>
public static class PieceChecker
{
    /// <summary>Returns the pieces whose data matches the torrent's hashes.</summary>
    public static async Task<Bitfield> CheckAsync(TorrentMetaInfo torrent, IPieceStore store, IProgress<int>? progress, CancellationToken cancellation)
    {
        var have = new Bitfield(torrent.PieceCount);
        var gate = new object();
        int done = 0;
        var options = new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Environment.ProcessorCount };
        await Parallel.ForEachAsync(Partitioner(torrent.PieceCount), options, async (index, token) =>
        {
            int size = torrent.GetPieceSize(index);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                await store.ReadOnceAsync((long)index * torrent.PieceLength, buffer.AsMemory(0, size), token).ConfigureAwait(false);
                if (Matches(buffer.AsSpan(0, size), torrent.GetPieceHash(index)))
                {
                    lock (gate)
                    {
                        have.Set(index);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            progress?.Report(Interlocked.Increment(ref done));
        }).ConfigureAwait(false);
        return have;
    }

    /// <summary>Whether data hashes (SHA-1) to the expected piece hash.</summary>
    public static bool Matches(ReadOnlySpan<byte> data, ReadOnlySpan<byte> expected)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data, hash);
        return hash.SequenceEqual(expected);
    }

    private static System.Collections.Generic.IEnumerable<int> Partitioner(int count)
    {
        for (int index = 0; index < count; index++)
        {
            yield return index;
        }
    }
}
