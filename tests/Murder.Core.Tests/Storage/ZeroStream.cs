using System;
using System.IO;

namespace Murder.Core.Tests.Storage;

/// <summary>A stream of zeros of a given length, never held in memory.</summary>
internal sealed class ZeroStream : Stream
{
    private readonly long _length;
    private long _position;

    public ZeroStream(long length) => _length = length;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int take = (int)Math.Min(count, _length - _position);
        Array.Clear(buffer, offset, take);
        _position += take;
        return take;
    }
}
