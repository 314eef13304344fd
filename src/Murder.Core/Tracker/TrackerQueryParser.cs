using System;
using System.Net;

namespace Murder.Core.Tracker;

/// <summary>
/// Parses announce and scrape query strings: strict percent-decoding (binary info_hash and
/// peer_id), exact lengths, non-negative decimal numbers, known events. Allocation-free.
/// Errors are constant strings that become the bencoded failure reason.
/// </summary>
internal static class TrackerQueryParser
{
    private const int MaxIpLength = 64;

    /// <summary>Parses an announce query (the part after '?'). Returns null or the failure reason.</summary>
    public static string? ParseAnnounce(ReadOnlySpan<byte> query, out AnnounceRequest request)
    {
        request = default;
        request.NumWant = -1;
        request.Compact = true;
        bool hasInfoHash = false, hasPeerId = false, hasPort = false, hasLeft = false;
        Span<byte> decoded = stackalloc byte[Hash20.Length];
        Span<byte> ipBuffer = stackalloc byte[MaxIpLength];

        while (!query.IsEmpty)
        {
            int amp = query.IndexOf((byte)'&');
            ReadOnlySpan<byte> pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? ReadOnlySpan<byte>.Empty : query[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            int equals = pair.IndexOf((byte)'=');
            ReadOnlySpan<byte> key = equals < 0 ? pair : pair[..equals];
            ReadOnlySpan<byte> value = equals < 0 ? ReadOnlySpan<byte>.Empty : pair[(equals + 1)..];

            if (key.SequenceEqual("info_hash"u8))
            {
                if (hasInfoHash)
                {
                    return "more than one info_hash";
                }

                string? error = DecodeHash(value, decoded, "info_hash");
                if (error is not null)
                {
                    return error;
                }

                request.InfoHash = Hash20.Read(decoded);
                hasInfoHash = true;
            }
            else if (key.SequenceEqual("peer_id"u8))
            {
                if (hasPeerId)
                {
                    return "more than one peer_id";
                }

                string? error = DecodeHash(value, decoded, "peer_id");
                if (error is not null)
                {
                    return error;
                }

                request.PeerId = Hash20.Read(decoded);
                hasPeerId = true;
            }
            else if (key.SequenceEqual("port"u8))
            {
                if (!TryParseNumber(value, out long port) || port > 65535)
                {
                    return "invalid port";
                }

                request.Port = (int)port;
                hasPort = true;
            }
            else if (key.SequenceEqual("uploaded"u8))
            {
                if (!TryParseNumber(value, out request.Uploaded))
                {
                    return "invalid uploaded";
                }
            }
            else if (key.SequenceEqual("downloaded"u8))
            {
                if (!TryParseNumber(value, out request.Downloaded))
                {
                    return "invalid downloaded";
                }
            }
            else if (key.SequenceEqual("left"u8))
            {
                if (!TryParseNumber(value, out request.Left))
                {
                    return "invalid left";
                }

                hasLeft = true;
            }
            else if (key.SequenceEqual("event"u8))
            {
                if (value.IsEmpty || value.SequenceEqual("empty"u8) || value.SequenceEqual("paused"u8))
                {
                    request.Event = TrackerEvent.None;
                }
                else if (value.SequenceEqual("started"u8))
                {
                    request.Event = TrackerEvent.Started;
                }
                else if (value.SequenceEqual("completed"u8))
                {
                    request.Event = TrackerEvent.Completed;
                }
                else if (value.SequenceEqual("stopped"u8))
                {
                    request.Event = TrackerEvent.Stopped;
                }
                else
                {
                    return "invalid event";
                }
            }
            else if (key.SequenceEqual("compact"u8))
            {
                if (value.SequenceEqual("0"u8))
                {
                    request.Compact = false;
                }
                else if (value.SequenceEqual("1"u8))
                {
                    request.Compact = true;
                }
                else
                {
                    return "invalid compact";
                }
            }
            else if (key.SequenceEqual("no_peer_id"u8))
            {
                request.NoPeerId = !value.SequenceEqual("0"u8);
            }
            else if (key.SequenceEqual("numwant"u8))
            {
                if (!TryParseNumber(value, out long numWant))
                {
                    return "invalid numwant";
                }

                request.NumWant = (int)Math.Min(numWant, int.MaxValue);
            }
            else if (key.SequenceEqual("murder_key"u8))
            {
                request.SwarmKey = SwarmKeyValue.TryParse(value, out SwarmKeyValue swarmKey) ? swarmKey : SwarmKeyValue.Invalid;
            }
            else if (key.SequenceEqual("ip"u8))
            {
                request.HasIpParameter = true;
                int length = PercentDecode(value, ipBuffer);
                if (length > 0 && TryParseAddress(ipBuffer[..length], out IPAddress? address))
                {
                    request.Ip = PeerAddress.From(address);
                }
            }
        }

        if (!hasInfoHash)
        {
            return "missing info_hash";
        }

        if (!hasPeerId)
        {
            return "missing peer_id";
        }

        if (!hasPort)
        {
            return "missing port";
        }

        if (request.Port == 0 && request.Event != TrackerEvent.Stopped)
        {
            return "invalid port";
        }

        if (!hasLeft)
        {
            return "missing left";
        }

        return null;
    }

    /// <summary>
    /// Parses a scrape query: every info_hash parameter, up to <paramref name="hashes"/>.Length.
    /// Returns null or the failure reason; <paramref name="count"/> is 0 for a full scrape.
    /// </summary>
    public static string? ParseScrape(ReadOnlySpan<byte> query, Span<Hash20> hashes, out int count)
    {
        count = 0;
        Span<byte> decoded = stackalloc byte[Hash20.Length];
        while (!query.IsEmpty)
        {
            int amp = query.IndexOf((byte)'&');
            ReadOnlySpan<byte> pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? ReadOnlySpan<byte>.Empty : query[(amp + 1)..];
            int equals = pair.IndexOf((byte)'=');
            if (equals < 0 || !pair[..equals].SequenceEqual("info_hash"u8))
            {
                continue;
            }

            if (count == hashes.Length)
            {
                return "too many info_hash parameters";
            }

            string? error = DecodeHash(pair[(equals + 1)..], decoded, "info_hash");
            if (error is not null)
            {
                return error;
            }

            hashes[count++] = Hash20.Read(decoded);
        }

        return null;
    }

    internal static string? DecodeHash(ReadOnlySpan<byte> value, Span<byte> destination, string name)
    {
        int length = PercentDecode(value, destination);
        if (length == -1)
        {
            return name == "info_hash" ? "invalid percent-encoding in info_hash" : "invalid percent-encoding in peer_id";
        }

        if (length != Hash20.Length)
        {
            return name == "info_hash" ? "info_hash is not 20 bytes" : "peer_id is not 20 bytes";
        }

        return null;
    }

    /// <summary>
    /// Percent-decodes into <paramref name="destination"/>. Returns the length, -1 for a malformed
    /// escape, or destination.Length + 1 when the value is longer than the destination.
    /// '+' stands for a space, as in HTML forms.
    /// </summary>
    internal static int PercentDecode(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        int written = 0;
        for (int i = 0; i < value.Length; i++)
        {
            byte b = value[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= value.Length)
                {
                    return -1;
                }

                int high = HexValue(value[i + 1]);
                int low = HexValue(value[i + 2]);
                if (high < 0 || low < 0)
                {
                    return -1;
                }

                b = (byte)((high << 4) | low);
                i += 2;
            }
            else if (b == (byte)'+')
            {
                b = (byte)' ';
            }

            if (written == destination.Length)
            {
                return destination.Length + 1;
            }

            destination[written++] = b;
        }

        return written;
    }

    internal static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>A non-negative decimal that fits in a long: digits only, no sign, at most 19 digits.</summary>
    internal static bool TryParseNumber(ReadOnlySpan<byte> value, out long number)
    {
        number = 0;
        if (value.IsEmpty || value.Length > 19)
        {
            return false;
        }

        for (int i = 0; i < value.Length; i++)
        {
            int digit = value[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            long next = (number * 10) + digit;
            if (next < number)
            {
                return false;
            }

            number = next;
        }

        return true;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> ascii, out IPAddress address)
    {
        Span<char> chars = stackalloc char[MaxIpLength];
        for (int i = 0; i < ascii.Length; i++)
        {
            byte b = ascii[i];
            bool allowed = b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F') or (byte)'.' or (byte)':';
            if (!allowed)
            {
                address = IPAddress.None;
                return false;
            }

            chars[i] = (char)b;
        }

        if (IPAddress.TryParse(chars[..ascii.Length], out IPAddress? parsed))
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        return false;
    }
}
