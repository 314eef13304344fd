using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Murder.Core.Packaging;

/// <summary>
/// Gzip on every core: input is cut into chunks, each compressed on the thread pool into a complete
/// gzip member, and the members are written to the output in order. A sequence of members is a
/// valid gzip file (RFC 1952, section 2.2) that gzip, tar, Python and .NET all read. A bounded queue
/// keeps memory at a few chunks per core and makes a slow output slow the input down.
/// </summary>
internal sealed class ParallelGzipStream : Stream
{
    // Header (no name, no time, OS unknown), an empty final stored deflate block, CRC-32 0, size 0.
    private static readonly byte[] EmptyMember = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    private readonly Stream _output;
    private readonly CompressionLevel _level;
    private readonly int _chunkSize;
    private readonly Channel<Task<PooledBufferStream>> _pending;
    private readonly Task _writer;
    private readonly CancellationToken _cancellation;
    private byte[] _chunk;
    private int _filled;
    private long _consumed;
    private bool _completed;
    private bool _anyChunk;

    public ParallelGzipStream(Stream output, CompressionLevel level, CancellationToken cancellation, int chunkSize = 1024 * 1024, int? maxInFlight = null)
    {
        _output = output;
        _level = level;
        _chunkSize = chunkSize;
        _cancellation = cancellation;
        _chunk = ArrayPool<byte>.Shared.Rent(chunkSize);
        int capacity = maxInFlight ?? (Environment.ProcessorCount * 2);
        _pending = Channel.CreateBounded<Task<PooledBufferStream>>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleReader = true,
            SingleWriter = true,
        });
        _writer = Task.Run(WriteMembersAsync, CancellationToken.None);
    }

    /// <summary>Uncompressed bytes accepted so far (read from any thread).</summary>
    public long BytesConsumed => Interlocked.Read(ref _consumed);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_completed;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, _chunkSize - _filled);
            buffer[..take].CopyTo(_chunk.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            Interlocked.Add(ref _consumed, take);
            if (_filled == _chunkSize)
            {
                Dispatch();
            }
        }
    }

    public override void WriteByte(byte value) => Write(new[] { value });

    /// <summary>Compresses what is left, writes every member and waits for the output.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        if (_filled > 0 || !_anyChunk)
        {
            Dispatch(); // An empty input still becomes one valid (empty) gzip member.
        }

        _completed = true;
        ArrayPool<byte>.Shared.Return(_chunk);
        _chunk = Array.Empty<byte>();
        _pending.Writer.TryComplete();
        WaitFor(_writer);
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed)
        {
            // Abandoned (an error or a cancellation upstream): stop the writer, keep nothing.
            _completed = true;
            _pending.Writer.TryComplete();
            try
            {
                _writer.Wait(TimeSpan.FromSeconds(30));
            }
            catch (AggregateException)
            {
                // The error that made us abandon the stream is the one the caller reports.
            }
        }

        base.Dispose(disposing);
    }

    private static void WaitFor(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (ChannelClosedException closed) when (closed.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(closed.InnerException).Throw();
        }
    }

    private void Dispatch()
    {
        byte[] input = _chunk;
        int length = _filled;
        _anyChunk = true;
        _chunk = ArrayPool<byte>.Shared.Rent(_chunkSize);
        _filled = 0;
        Task<PooledBufferStream> compression = Task.Run(() => CompressMember(input, length), _cancellation);
        WaitFor(_pending.Writer.WriteAsync(compression, _cancellation).AsTask());
    }

    private PooledBufferStream CompressMember(byte[] input, int length)
    {
        var member = new PooledBufferStream(length + (length / 8) + 64);
        try
        {
            if (length == 0)
            {
                // GZipStream writes nothing at all for no input; a gzip file needs one member.
                member.Write(EmptyMember);
                return member;
            }

            using (var gzip = new GZipStream(member, _level, leaveOpen: true))
            {
                gzip.Write(input, 0, length);
            }

            if (_level != CompressionLevel.NoCompression && member.Length >= length)
            {
                // Deflate did not shrink this chunk (random or already-compressed data): store it.
                // Peers then move fewer bytes and inflate it at copying speed.
                var stored = new PooledBufferStream(length + (length / 1024) + 64);
                using (var gzip = new GZipStream(stored, CompressionLevel.NoCompression, leaveOpen: true))
                {
                    gzip.Write(input, 0, length);
                }

                member.Dispose();
                return stored;
            }

            return member;
        }
        catch
        {
            member.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private async Task WriteMembersAsync()
    {
        try
        {
            await foreach (Task<PooledBufferStream> compression in _pending.Reader.ReadAllAsync(CancellationToken.None))
            {
                using PooledBufferStream member = await compression.ConfigureAwait(false);
                await _output.WriteAsync(member.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception error)
        {
            _pending.Writer.TryComplete(error);
            throw;
        }
    }
}
