using System;

namespace Murder.Core.Tracker.Http;

/// <summary>
/// A strict, bounded, allocation-free HTTP/1.x request-head parser (RFC 9112) for the tracker:
/// GET or HEAD only, CRLF line ends, no bodies, no obsolete line folding, one Host header.
/// </summary>
internal static class HttpRequestParser
{
    /// <summary>Headers per request at most.</summary>
    public const int MaxHeaderCount = 64;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>
    /// Parses the request head at the start of <paramref name="buffer"/> (the bytes received so far).
    /// </summary>
    public static HttpParseStatus TryParse(ReadOnlySpan<byte> buffer, int maxHeadBytes, out HttpRequestHead head)
    {
        head = default;
        head.HostStart = -1;
        int searchLength = Math.Min(buffer.Length, maxHeadBytes);
        int end = buffer[..searchLength].IndexOf(EndOfHead);
        if (end < 0)
        {
            // A request line that is already broken need not wait for the rest.
            if (buffer.Length >= maxHeadBytes)
            {
                return HttpParseStatus.TooLarge;
            }

            return EarlyCheck(buffer, ref head);
        }

        head.Length = end + 4;
        ReadOnlySpan<byte> text = buffer[..(end + 2)];
        int lineEnd = text.IndexOf("\r\n"u8);
        HttpParseStatus status = ParseRequestLine(text[..lineEnd], ref head);
        if (status != HttpParseStatus.Complete)
        {
            return status;
        }

        bool isHttp11 = buffer[lineEnd - 1] == (byte)'1';
        bool? connectionClose = null;
        int position = lineEnd + 2;
        int count = 0;
        while (position < text.Length)
        {
            int length = text[position..].IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = text.Slice(position, length);
            if (++count > MaxHeaderCount)
            {
                return Fail(ref head, HttpParseStatus.TooLarge, "too many headers");
            }

            status = ParseHeader(line, position, ref head, ref connectionClose);
            if (status != HttpParseStatus.Complete)
            {
                return status;
            }

            position += length + 2;
        }

        if (isHttp11 && head.HostStart < 0)
        {
            return Fail(ref head, HttpParseStatus.Invalid, "HTTP/1.1 requires a Host header");
        }

        head.KeepAlive = connectionClose is null ? isHttp11 : !connectionClose.Value;
        return HttpParseStatus.Complete;
    }

    private static HttpParseStatus EarlyCheck(ReadOnlySpan<byte> buffer, ref HttpRequestHead head)
    {
        // Reject garbage as soon as the first line shows it, instead of waiting for a timeout.
        int lineEnd = buffer.IndexOf("\r\n"u8);
        if (lineEnd >= 0)
        {
            HttpParseStatus status = ParseRequestLine(buffer[..lineEnd], ref head);
            return status == HttpParseStatus.Complete ? HttpParseStatus.Incomplete : status;
        }

        for (int i = 0; i < buffer.Length; i++)
        {
            byte b = buffer[i];
            if (b == 0 || (b == (byte)'\n' && (i == 0 || buffer[i - 1] != (byte)'\r')))
            {
                return Fail(ref head, HttpParseStatus.Invalid, "malformed request line");
            }
        }

        return HttpParseStatus.Incomplete;
    }

    private static HttpParseStatus ParseRequestLine(ReadOnlySpan<byte> line, ref HttpRequestHead head)
    {
        int firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0)
        {
            return Fail(ref head, HttpParseStatus.Invalid, "malformed request line");
        }

        ReadOnlySpan<byte> method = line[..firstSpace];
        ReadOnlySpan<byte> rest = line[(firstSpace + 1)..];
        int secondSpace = rest.IndexOf((byte)' ');
        if (secondSpace <= 0 || rest[(secondSpace + 1)..].Contains((byte)' '))
        {
            return Fail(ref head, HttpParseStatus.Invalid, "malformed request line");
        }

        for (int i = 0; i < method.Length; i++)
        {
            if (!IsTokenChar(method[i]))
            {
                return Fail(ref head, HttpParseStatus.Invalid, "malformed request line");
            }
        }

        ReadOnlySpan<byte> target = rest[..secondSpace];
        ReadOnlySpan<byte> version = rest[(secondSpace + 1)..];
        if (!version.StartsWith("HTTP/"u8))
        {
            return Fail(ref head, HttpParseStatus.Invalid, "malformed request line");
        }

        if (!version.SequenceEqual("HTTP/1.1"u8) && !version.SequenceEqual("HTTP/1.0"u8))
        {
            return Fail(ref head, HttpParseStatus.VersionNotSupported, "only HTTP/1.0 and HTTP/1.1 are supported");
        }

        if (target[0] != (byte)'/')
        {
            return Fail(ref head, HttpParseStatus.Invalid, "the request target must start with '/'");
        }

        for (int i = 0; i < target.Length; i++)
        {
            byte b = target[i];
            if (b <= 0x20 || b >= 0x7F)
            {
                return Fail(ref head, HttpParseStatus.Invalid, "the request target has a byte outside printable ASCII");
            }
        }

        if (method.SequenceEqual("GET"u8))
        {
            head.IsHead = false;
        }
        else if (method.SequenceEqual("HEAD"u8))
        {
            head.IsHead = true;
        }
        else
        {
            return Fail(ref head, HttpParseStatus.MethodNotAllowed, "only GET and HEAD are supported");
        }

        head.TargetStart = firstSpace + 1;
        head.TargetLength = target.Length;
        int query = target.IndexOf((byte)'?');
        head.PathLength = query < 0 ? target.Length : query;
        return HttpParseStatus.Complete;
    }

    private static HttpParseStatus ParseHeader(ReadOnlySpan<byte> line, int lineStart, ref HttpRequestHead head, ref bool? connectionClose)
    {
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return Fail(ref head, HttpParseStatus.Invalid, "malformed header line");
        }

        ReadOnlySpan<byte> name = line[..colon];
        for (int i = 0; i < name.Length; i++)
        {
            if (!IsTokenChar(name[i]))
            {
                // This also rejects obsolete line folding (a line starting with a space).
                return Fail(ref head, HttpParseStatus.Invalid, "malformed header name");
            }
        }

        ReadOnlySpan<byte> raw = line[(colon + 1)..];
        int valueStart = colon + 1;
        while (raw.Length > 0 && (raw[0] == (byte)' ' || raw[0] == (byte)'\t'))
        {
            raw = raw[1..];
            valueStart++;
        }

        while (raw.Length > 0 && (raw[^1] == (byte)' ' || raw[^1] == (byte)'\t'))
        {
            raw = raw[..^1];
        }

        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                return Fail(ref head, HttpParseStatus.Invalid, "control character in a header value");
            }
        }

        if (EqualsIgnoreCase(name, "host"u8))
        {
            if (head.HostStart >= 0)
            {
                return Fail(ref head, HttpParseStatus.Invalid, "more than one Host header");
            }

            head.HostStart = lineStart + valueStart;
            head.HostLength = raw.Length;
        }
        else if (EqualsIgnoreCase(name, "connection"u8))
        {
            if (ContainsTokenIgnoreCase(raw, "close"u8))
            {
                connectionClose = true;
            }
            else if (ContainsTokenIgnoreCase(raw, "keep-alive"u8))
            {
                connectionClose ??= false;
            }
        }
        else if (EqualsIgnoreCase(name, "content-length"u8))
        {
            if (!raw.SequenceEqual("0"u8))
            {
                return Fail(ref head, HttpParseStatus.Invalid, "requests with a body are not accepted");
            }
        }
        else if (EqualsIgnoreCase(name, "transfer-encoding"u8))
        {
            return Fail(ref head, HttpParseStatus.Invalid, "requests with a body are not accepted");
        }

        return HttpParseStatus.Complete;
    }

    private static HttpParseStatus Fail(ref HttpRequestHead head, HttpParseStatus status, string error)
    {
        head.Error = error;
        return status;
    }

    private static bool IsTokenChar(byte b) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
        || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
            or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    internal static bool EqualsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> lowerCase)
    {
        if (value.Length != lowerCase.Length)
        {
            return false;
        }

        for (int i = 0; i < value.Length; i++)
        {
            byte b = value[i];
            if (b is >= (byte)'A' and <= (byte)'Z')
            {
                b = (byte)(b | 0x20);
            }

            if (b != lowerCase[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool ContainsTokenIgnoreCase(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        while (list.Length > 0)
        {
            int comma = list.IndexOf((byte)',');
            ReadOnlySpan<byte> item = comma < 0 ? list : list[..comma];
            item = item.Trim((byte)' ').Trim((byte)'\t');
            if (EqualsIgnoreCase(item, token))
            {
                return true;
            }

            list = comma < 0 ? ReadOnlySpan<byte>.Empty : list[(comma + 1)..];
        }

        return false;
    }
}
