using System;
using System.IO;
using System.IO.Compression;
using System.Threading;
using Murder.Core.Packaging;
using Xunit;

namespace Murder.Core.Tests.Packaging;

public class ParallelGzipStreamTests
{
    private static byte[] Decompress(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(4096 * 5 + 17)]
    public void Output_decompresses_to_the_input(int length)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        using var output = new MemoryStream();
        using (var gzip = new ParallelGzipStream(output, CompressionLevel.Fastest, CancellationToken.None, chunkSize: 4096, maxInFlight: 2))
        {
            // Odd write sizes cross chunk boundaries.
            for (int offset = 0; offset < length; offset += 1000)
            {
                gzip.Write(data, offset, Math.Min(1000, length - offset));
            }

            gzip.Complete();
            Assert.Equal(length, gzip.BytesConsumed);
        }

        byte[] compressed = output.ToArray();
        Assert.Equal(0x1f, compressed[0]);
        Assert.Equal(data, Decompress(compressed));
    }

    [Theory]
    [InlineData(CompressionLevel.Fastest)]
    [InlineData(CompressionLevel.Optimal)]
    public void Incompressible_chunks_are_stored_and_compressible_ones_compressed(CompressionLevel level)
    {
        // Four random chunks (stored: barely larger than the input) and four of text (compressed).
        const int chunk = 64 * 1024;
        byte[] random = new byte[4 * chunk];
        new Random(7).NextBytes(random);
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(System.Linq.Enumerable.Repeat("murder deploys over bittorrent; ", 4 * chunk / 32)));
        byte[] data = new byte[random.Length + text.Length];
        random.CopyTo(data, 0);
        text.CopyTo(data, random.Length);
        using var output = new MemoryStream();
        using (var gzip = new ParallelGzipStream(output, level, CancellationToken.None, chunkSize: chunk, maxInFlight: 2))
        {
            gzip.Write(data);
            gzip.Complete();
        }

        byte[] written = output.ToArray();
        Assert.Equal(data, Decompress(written));
        // Stored random data costs a few bytes per 64 KiB block and member; deflate would add more,
        // and the text chunks shrink to almost nothing.
        Assert.InRange(written.Length, random.Length, random.Length + (random.Length / 1000) + (8 * 64) + (text.Length / 20));
    }

    [Fact]
    public void A_failing_output_surfaces_its_error_to_the_writer()
    {
        using var output = new FailingStream();
        var gzip = new ParallelGzipStream(output, CompressionLevel.Fastest, CancellationToken.None, chunkSize: 1024, maxInFlight: 1);
        var error = Assert.Throws<IOException>(() =>
        {
            byte[] block = new byte[1024];
            for (int round = 0; round < 100; round++)
            {
                gzip.Write(block);
            }

            gzip.Complete();
        });
        Assert.Equal("disk full", error.Message);
        gzip.Dispose();
    }

    private sealed class FailingStream : MemoryStream
    {
        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException("disk full");

        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("disk full");

        public override System.Threading.Tasks.ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            System.Threading.Tasks.ValueTask.FromException(new IOException("disk full"));
    }
}
