using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Tests.Swarm;
using Xunit;

namespace Murder.Core.Tests.Storage;

public sealed class FilePieceStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes <paramref name="content"/> in pieces, in a shuffled order, as a download does.</summary>
    private static async Task WritePiecesAsync(FilePieceStore store, byte[] content, int pieceLength, int seed)
    {
        int pieces = (content.Length + pieceLength - 1) / pieceLength;
        foreach (int index in Enumerable.Range(0, pieces).OrderBy(_ => new Random(seed++).Next()))
        {
            int offset = index * pieceLength;
            await store.WriteAsync(offset, content.AsMemory(offset, Math.Min(pieceLength, content.Length - offset)), CancellationToken.None);
        }
    }

    /// <summary>Reads it all back in blocks of <paramref name="block"/> bytes, in a shuffled order.</summary>
    private static async Task AssertReadsBackAsync(FilePieceStore store, byte[] content, int block, int seed)
    {
        int blocks = (content.Length + block - 1) / block;
        var random = new Random(seed);
        foreach (int index in Enumerable.Range(0, blocks).OrderBy(_ => random.Next()))
        {
            long offset = (long)index * block;
            var read = new byte[Math.Min(block, content.Length - offset)];
            await store.ReadAsync(offset, read, CancellationToken.None);
            Assert.True(content.AsSpan((int)offset, read.Length).SequenceEqual(read), $"block at {offset} differs");
        }
    }

    public static TheoryData<bool, int, int> Shapes()
    {
        var data = new TheoryData<bool, int, int>();
        foreach (bool uncached in new[] { true, false })
        {
            // Pieces smaller than, equal to and larger than the store's granule; files ending on
            // and off a 4 KiB boundary.
            data.Add(uncached, 64 * 1024, (3 * FilePieceStore.GranuleSize) + 5000);
            data.Add(uncached, FilePieceStore.GranuleSize, (40 * FilePieceStore.GranuleSize) + 12345);
            data.Add(uncached, 1024 * 1024, 5 * 1024 * 1024);
            data.Add(uncached, 16 * 1024, 3000);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Pieces_written_in_any_order_read_back_exactly(bool uncached, int pieceLength, int length)
    {
        byte[] content = Random(length, length);
        string path = _temp.Combine("artifact.tgz");
        await using (FilePieceStore store = FilePieceStore.OpenForDownload(path, length, uncached))
        {
            await WritePiecesAsync(store, content, pieceLength, 1);
            // 16 KiB blocks as uploads ask, and odd sizes that cross granules.
            await AssertReadsBackAsync(store, content, 16 * 1024, 2);
            await AssertReadsBackAsync(store, content, 100_000, 3);
            await store.FlushAsync(CancellationToken.None);
        }

        Assert.Equal(content, File.ReadAllBytes(path));
        await using (FilePieceStore seeding = FilePieceStore.OpenForReading(path, length, uncached))
        {
            await AssertReadsBackAsync(seeding, content, 16 * 1024, 4);
        }
    }

    [SkippableFact]
    public async Task On_Linux_the_download_goes_past_the_page_cache()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "direct I/O (O_DIRECT) is the Linux path");
        Skip.If(FindFincore() is null, "fincore (util-linux) is not installed, so the page cache cannot be inspected");
        const int length = 16 * 1024 * 1024;
        byte[] content = Random(length, 7);

        string direct = _temp.Combine("direct.tgz");
        await using (FilePieceStore store = FilePieceStore.OpenForDownload(direct, length))
        {
            string fileSystem = Run("stat", "--file-system", "--format", "%T", _temp.Path);
            if (fileSystem is "ext2/ext3" or "xfs" or "btrfs")
            {
                Assert.True(store.IsUncached, $"direct I/O was not used on {fileSystem}, which supports it");
            }

            Skip.IfNot(store.IsUncached, $"the file system of {_temp.Path} ({fileSystem}) refuses direct I/O");
            await WritePiecesAsync(store, content, FilePieceStore.GranuleSize, 5);
            await AssertReadsBackAsync(store, content, 16 * 1024, 6);
        }

        string buffered = _temp.Combine("buffered.tgz");
        await using (FilePieceStore store = FilePieceStore.OpenForDownload(buffered, length, uncached: false))
        {
            await WritePiecesAsync(store, content, FilePieceStore.GranuleSize, 5);
            await AssertReadsBackAsync(store, content, 16 * 1024, 6);
        }

        // The same work through the page cache leaves the file resident: the check can tell.
        Assert.True(ResidentBytes(buffered) >= length / 2, $"buffered: {ResidentBytes(buffered)} bytes resident");
        Assert.True(ResidentBytes(direct) < 1024 * 1024, $"direct: {ResidentBytes(direct)} bytes resident");
        Assert.Equal(content, File.ReadAllBytes(direct));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_check_of_the_whole_store_reads_it_exactly_and_leaves_the_upload_cache_as_it_was(bool uncached, int pieceLength, int length)
    {
        (TorrentMetaInfo torrent, byte[] content) = SwarmTestData.Make(length, pieceLength, seed: length);
        string path = _temp.Combine("seed.tgz");
        File.WriteAllBytes(path, content);
        await using FilePieceStore store = FilePieceStore.OpenForReading(path, length, uncached);

        // A seeder verifying its artifact: every piece matches, and nothing of it stays in memory.
        Bitfield have = await PieceChecker.CheckAsync(torrent, store, null, CancellationToken.None);
        Assert.True(have.AllSet, $"{have.CountMissing} pieces did not match");
        Assert.Equal(0, store.CachedGranuleCount);

        // Reads at odd offsets and lengths that cross 4 KiB and granule boundaries, and the file's tail.
        foreach ((long offset, int count) in new[] { (0L, length), (1L, Math.Min(length - 1, 70_000)), (length - Math.Min(length, 5000), Math.Min(length, 5000)), (length / 3, length / 3) })
        {
            var read = new byte[count];
            await store.ReadOnceAsync(offset, read, CancellationToken.None);
            Assert.True(content.AsSpan((int)offset, count).SequenceEqual(read), $"{count} bytes at {offset} differ");
        }

        Assert.Equal(0, store.CachedGranuleCount);

        // Uploads still fill the cache, and a later check neither empties nor refills it.
        await AssertReadsBackAsync(store, content, 16 * 1024, 13);
        int cached = store.CachedGranuleCount;
        Assert.Equal(store.IsUncached ? Math.Min(FilePieceStore.CachedGranules, (length + FilePieceStore.GranuleSize - 1) / FilePieceStore.GranuleSize) : 0, cached);
        Assert.True((await PieceChecker.CheckAsync(torrent, store, null, CancellationToken.None)).AllSet);
        Assert.Equal(cached, store.CachedGranuleCount);
    }

    [Fact]
    public async Task Concurrent_piece_writes_and_block_reads_stay_coherent()
    {
        const int pieceLength = 64 * 1024;
        const int pieces = 96; // more than the store's own cache holds
        byte[] content = Random(pieces * pieceLength, 11);
        await using FilePieceStore store = FilePieceStore.OpenForDownload(_temp.Combine("busy.tgz"), content.Length);
        var written = new bool[pieces];
        int next = -1;
        Task[] writers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < pieces)
            {
                await store.WriteAsync((long)index * pieceLength, content.AsMemory(index * pieceLength, pieceLength), CancellationToken.None);
                Volatile.Write(ref written[index], true);
            }
        })).ToArray();
        Task[] readers = Enumerable.Range(0, 3).Select(seed => Task.Run(async () =>
        {
            var random = new Random(seed);
            var block = new byte[16 * 1024];
            while (writers.Any(writer => !writer.IsCompleted))
            {
                int index = random.Next(pieces);
                if (!Volatile.Read(ref written[index]))
                {
                    await Task.Yield();
                    continue;
                }

                int offset = (index * pieceLength) + (random.Next(4) * block.Length);
                await store.ReadAsync(offset, block, CancellationToken.None);
                Assert.True(content.AsSpan(offset, block.Length).SequenceEqual(block), $"block at {offset} differs");
            }
        })).ToArray();
        await Task.WhenAll(writers.Concat(readers));
        await AssertReadsBackAsync(store, content, 16 * 1024, 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData((3 * 1024 * 1024) + 777)]
    public void The_uncached_read_stream_reads_the_whole_file(int length)
    {
        byte[] content = Random(length, length + 1);
        string path = _temp.WriteFile("artifact.tgz", content);
        using Stream stream = UncachedReadStream.Open(path, 1024 * 1024);
        var read = new MemoryStream();
        var random = new Random(3);
        var buffer = new byte[300_000];
        int count;
        while ((count = stream.Read(buffer, 0, random.Next(1, buffer.Length))) > 0)
        {
            read.Write(buffer, 0, count);
        }

        Assert.Equal(content, read.ToArray());
    }

    private static string? FindFincore() =>
        new[] { "/usr/bin/fincore", "/bin/fincore" }.FirstOrDefault(File.Exists);

    /// <summary>Bytes of the file in the page cache, from fincore --bytes.</summary>
    private static long ResidentBytes(string path) =>
        long.Parse(Run(FindFincore()!, "--bytes", "--noheadings", "--output", "RES", path), System.Globalization.CultureInfo.InvariantCulture);

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
