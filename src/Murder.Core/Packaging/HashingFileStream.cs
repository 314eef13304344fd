using System;
using System.IO;
using System.Threading;

namespace Murder.Core.Packaging;

/// <summary>A write-only file stream that hashes pieces of everything written through it.</summary>
internal sealed class HashingFileStream : Stream
{
    private readonly FileStream _file;
    private readonly PieceHasher _hasher;
    private long _written;

    public HashingFileStream(string path, int pieceLength)
    {
        // CreateNew: the caller picked a fresh temporary name; never write through someone else's file.
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        _hasher = new PieceHasher(pieceLength);
    }

    /// <summary>Bytes written so far (read from any thread).</summary>
    public long BytesWritten => Interlocked.Read(ref _written);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => BytesWritten;

    public override long Position
    {
        get => BytesWritten;
        set => throw new NotSupportedException();
    }

    /// <summary>Flushes to disk and returns the piece hashes.</summary>
    public byte[] Complete()
    {
        _file.Flush(flushToDisk: true);
        return _hasher.Complete();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hasher.Append(buffer);
        _file.Write(buffer);
        Interlocked.Add(ref _written, buffer.Length);
    }

    public override void WriteByte(byte value) => Write(new[] { value });

    public override void Flush() => _file.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _hasher.Dispose();
        }

        base.Dispose(disposing);
    }
}
