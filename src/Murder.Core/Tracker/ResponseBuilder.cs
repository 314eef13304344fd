using System;
using System.Buffers;
using System.Buffers.Text;

namespace Murder.Core.Tracker;

/// <summary>
/// One reusable buffer per connection for a whole HTTP response. The body is written first, after
/// a reserved gap; the head is then placed in the gap right before it, so the response goes out
/// as one contiguous slice without copying the body.
/// </summary>
internal sealed class ResponseBuilder : IBufferWriter<byte>, IDisposable
{
    private const int HeadReserve = 768;
    private const int InitialSize = 4096;
    private byte[] _buffer;
    private int _position;

    public ResponseBuilder()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
        _position = HeadReserve;
    }

    /// <summary>Bytes of body written so far.</summary>
    public int BodyLength => _position - HeadReserve;

    /// <summary>The body written so far (for tests and the sans-IO engine).</summary>
    public ReadOnlySpan<byte> Body => _buffer.AsSpan(HeadReserve, _position - HeadReserve);

    /// <summary>Starts a new response.</summary>
    public void Reset() => _position = HeadReserve;

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_position);
    }

    /// <summary>Room for at least <paramref name="sizeHint"/> bytes (some when 0), as IBufferWriter asks (the JSON writer uses it).</summary>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_position);
    }

    public void Advance(int count) => _position += count;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _position += bytes.Length;
    }

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        _position++;
    }

    public void WriteDecimal(long value)
    {
        Utf8Formatter.TryFormat(value, GetSpan(20), out int written);
        _position += written;
    }

    /// <summary>Writes a bencoded integer: i42e.</summary>
    public void WriteInteger(long value)
    {
        WriteByte((byte)'i');
        WriteDecimal(value);
        WriteByte((byte)'e');
    }

    /// <summary>Writes a bencoded byte string: 4:spam.</summary>
    public void WriteString(ReadOnlySpan<byte> value)
    {
        WriteDecimal(value.Length);
        WriteByte((byte)':');
        Write(value);
    }

    /// <summary>Writes a bencoded failure response body.</summary>
    public void WriteFailure(string reason)
    {
        Write("d14:failure reason"u8);
        Span<byte> text = GetSpan(reason.Length * 3 + 24);
        int length = System.Text.Encoding.UTF8.GetByteCount(reason);
        Utf8Formatter.TryFormat(length, text, out int digits);
        text[digits] = (byte)':';
        System.Text.Encoding.UTF8.GetBytes(reason, text[(digits + 1)..]);
        _position += digits + 1 + length;
        WriteByte((byte)'e');
    }

    /// <summary>
    /// Puts the head before the body and returns the whole response (head, then body unless
    /// <paramref name="omitBody"/>, as for HEAD requests).
    /// </summary>
    public ArraySegment<byte> Finish(int status, ReadOnlySpan<byte> contentType, bool keepAlive, bool omitBody) =>
        Finish(status, contentType, keepAlive, omitBody, ReadOnlySpan<byte>.Empty);

    /// <summary>As above, with more header lines (each ending in CRLF) before Connection.</summary>
    public ArraySegment<byte> Finish(int status, ReadOnlySpan<byte> contentType, bool keepAlive, bool omitBody, ReadOnlySpan<byte> extraHeaders)
    {
        Span<byte> head = stackalloc byte[HeadReserve];
        int length = 0;
        Append(head, ref length, "HTTP/1.1 "u8);
        Append(head, ref length, StatusLine(status));
        Append(head, ref length, "\r\nContent-Type: "u8);
        Append(head, ref length, contentType);
        Append(head, ref length, "\r\nContent-Length: "u8);
        Utf8Formatter.TryFormat(BodyLength, head[length..], out int digits);
        length += digits;
        Append(head, ref length, "\r\n"u8);
        Append(head, ref length, extraHeaders);
        Append(head, ref length, keepAlive ? "Connection: keep-alive\r\n\r\n"u8 : "Connection: close\r\n\r\n"u8);
        int start = HeadReserve - length;
        head[..length].CopyTo(_buffer.AsSpan(start));
        int total = omitBody ? length : _position - start;
        return new ArraySegment<byte>(_buffer, start, total);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = Array.Empty<byte>();
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Append(Span<byte> head, ref int length, ReadOnlySpan<byte> text)
    {
        text.CopyTo(head[length..]);
        length += text.Length;
    }

    private static ReadOnlySpan<byte> StatusLine(int status) => status switch
    {
        200 => "200 OK"u8,
        400 => "400 Bad Request"u8,
        403 => "403 Forbidden"u8,
        404 => "404 Not Found"u8,
        405 => "405 Method Not Allowed"u8,
        408 => "408 Request Timeout"u8,
        431 => "431 Request Header Fields Too Large"u8,
        503 => "503 Service Unavailable"u8,
        505 => "505 HTTP Version Not Supported"u8,
        _ => "500 Internal Server Error"u8,
    };

    private void Reserve(int sizeHint)
    {
        int size = Math.Max(sizeHint, 1);
        if (_position + size > _buffer.Length)
        {
            Grow(size);
        }
    }

    private void Grow(int size)
    {
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + size));
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
