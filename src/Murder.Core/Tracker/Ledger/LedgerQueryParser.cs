using System;
using System.Text.Unicode;

namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// Parses /report and /deploy query strings, strictly and without allocating (the same decoding
/// and number rules as announces). Errors are constant strings that become the bencoded failure.
/// </summary>
internal static class LedgerQueryParser
{
    /// <summary>The longest host name, in UTF-8 bytes.</summary>
    public const int MaxHostBytes = 255;

    /// <summary>The longest error id, in characters.</summary>
    public const int MaxErrorIdLength = 64;

    /// <summary>The longest failure message, in UTF-8 bytes.</summary>
    public const int MaxMessageBytes = 1024;

    /// <summary>The size of the scratch buffer <see cref="ParseReport"/> needs.</summary>
    public const int ScratchBytes = MaxHostBytes + MaxErrorIdLength + MaxMessageBytes;

    /// <summary>The most entries one /deploy read returns.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Entries per /deploy read when the query gives no limit.</summary>
    public const int DefaultLimit = 1000;

    /// <summary>
    /// Parses a report query (the part after '?') into <paramref name="request"/>, whose strings
    /// are slices of <paramref name="scratch"/> (at least <see cref="ScratchBytes"/>). Returns null
    /// or the failure reason.
    /// </summary>
    public static string? ParseReport(ReadOnlySpan<byte> query, Span<byte> scratch, out ReportRequest request)
    {
        request = default;
        Span<byte> hostBuffer = scratch[..MaxHostBytes];
        Span<byte> errorIdBuffer = scratch.Slice(MaxHostBytes, MaxErrorIdLength);
        Span<byte> messageBuffer = scratch.Slice(MaxHostBytes + MaxErrorIdLength, MaxMessageBytes);
        Span<byte> decoded = stackalloc byte[Hash20.Length];
        bool hasInfoHash = false, hasStage = false;
        while (!query.IsEmpty)
        {
            ReadOnlySpan<byte> key = NextPair(ref query, out ReadOnlySpan<byte> value);
            if (key.SequenceEqual("info_hash"u8))
            {
                if (hasInfoHash)
                {
                    return "more than one info_hash";
                }

                string? error = TrackerQueryParser.DecodeHash(value, decoded, "info_hash");
                if (error is not null)
                {
                    return error;
                }

                request.InfoHash = Hash20.Read(decoded);
                hasInfoHash = true;
            }
            else if (key.SequenceEqual("peer_id"u8))
            {
                // Not kept (the host names the entry), but a malformed one is still refused.
                string? error = TrackerQueryParser.DecodeHash(value, decoded, "peer_id");
                if (error is not null)
                {
                    return error;
                }
            }
            else if (key.SequenceEqual("stage"u8))
            {
                if (!LedgerNames.TryParseStage(value, out request.Stage))
                {
                    return "invalid stage: use starting, verifying, downloading, extracting, seeding, done or failed";
                }

                hasStage = true;
            }
            else if (key.SequenceEqual("role"u8))
            {
                if (!LedgerNames.TryParseRole(value, out request.Role))
                {
                    return "invalid role: use peer or seeder";
                }
            }
            else if (key.SequenceEqual("host"u8))
            {
                int length = TrackerQueryParser.PercentDecode(value, hostBuffer);
                if (length <= 0 || length > MaxHostBytes || !IsPrintableUtf8(hostBuffer[..length], allowLineBreaks: false))
                {
                    return "invalid host: 1 to 255 bytes of UTF-8 without control characters";
                }

                request.Host = hostBuffer[..length];
            }
            else if (key.SequenceEqual("downloaded"u8))
            {
                if (!TrackerQueryParser.TryParseNumber(value, out request.Downloaded))
                {
                    return "invalid downloaded";
                }
            }
            else if (key.SequenceEqual("left"u8))
            {
                if (!TrackerQueryParser.TryParseNumber(value, out request.Left))
                {
                    return "invalid left";
                }
            }
            else if (key.SequenceEqual("rate"u8))
            {
                if (!TrackerQueryParser.TryParseNumber(value, out request.Rate))
                {
                    return "invalid rate";
                }
            }
            else if (key.SequenceEqual("error_id"u8))
            {
                if (!IsErrorId(value))
                {
                    return "invalid error_id: 1 to 64 letters and digits";
                }

                value.CopyTo(errorIdBuffer);
                request.ErrorId = errorIdBuffer[..value.Length];
            }
            else if (key.SequenceEqual("message"u8))
            {
                int length = TrackerQueryParser.PercentDecode(value, messageBuffer);
                if (length < 0 || length > MaxMessageBytes || !IsPrintableUtf8(messageBuffer[..length], allowLineBreaks: true))
                {
                    return "invalid message: at most 1024 bytes of UTF-8";
                }

                request.Message = messageBuffer[..length];
            }
            else if (key.SequenceEqual("murder_key"u8))
            {
                request.SwarmKey = SwarmKeyValue.TryParse(value, out SwarmKeyValue swarmKey) ? swarmKey : SwarmKeyValue.Invalid;
            }
        }

        if (!hasInfoHash)
        {
            return "missing info_hash";
        }

        return hasStage ? null : "missing stage";
    }

    /// <summary>Parses a /deploy query. Returns null or the failure reason.</summary>
    public static string? ParseRead(ReadOnlySpan<byte> query, out DeployQuery request)
    {
        request = default;
        request.Limit = DefaultLimit;
        Span<byte> decoded = stackalloc byte[Hash20.Length];
        while (!query.IsEmpty)
        {
            ReadOnlySpan<byte> key = NextPair(ref query, out ReadOnlySpan<byte> value);
            if (key.SequenceEqual("info_hash"u8))
            {
                if (request.HasInfoHash)
                {
                    return "more than one info_hash";
                }

                if (!TryParseInfoHash(value, decoded))
                {
                    return "invalid info_hash: 40 hexadecimal digits";
                }

                request.InfoHash = Hash20.Read(decoded);
                request.HasInfoHash = true;
            }
            else if (key.SequenceEqual("since"u8))
            {
                if (!TrackerQueryParser.TryParseNumber(value, out request.Since))
                {
                    return "invalid since: a version, 0 or more";
                }
            }
            else if (key.SequenceEqual("limit"u8))
            {
                if (!TrackerQueryParser.TryParseNumber(value, out long limit) || limit is < 1 or > MaxLimit)
                {
                    return "invalid limit: 1 to 10000";
                }

                request.Limit = (int)limit;
            }
            else if (key.SequenceEqual("stage"u8))
            {
                if (!LedgerNames.TryParseStage(value, out LedgerStage stage))
                {
                    return "invalid stage: use starting, verifying, downloading, extracting, seeding, done or failed";
                }

                request.Stage = stage;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a /deploy query costs a bounded amount: one named torrent (at most MaxDeployHosts
    /// entries to walk) and a limit small enough to build on the accepting thread.
    /// </summary>
    public static bool IsBoundedRead(ReadOnlySpan<byte> query) =>
        ParseRead(query, out DeployQuery request) is null && request.HasInfoHash && request.Limit <= DefaultLimit;

    private static ReadOnlySpan<byte> NextPair(ref ReadOnlySpan<byte> query, out ReadOnlySpan<byte> value)
    {
        int amp = query.IndexOf((byte)'&');
        ReadOnlySpan<byte> pair = amp < 0 ? query : query[..amp];
        query = amp < 0 ? ReadOnlySpan<byte>.Empty : query[(amp + 1)..];
        int equals = pair.IndexOf((byte)'=');
        value = equals < 0 ? ReadOnlySpan<byte>.Empty : pair[(equals + 1)..];
        return equals < 0 ? pair : pair[..equals];
    }

    /// <summary>40 hexadecimal digits, or (as announces send it) 20 percent-encoded bytes.</summary>
    private static bool TryParseInfoHash(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        if (value.Length == Hash20.Length * 2 && TryParseHex(value, destination))
        {
            return true;
        }

        return TrackerQueryParser.PercentDecode(value, destination) == Hash20.Length;
    }

    private static bool TryParseHex(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            int high = TrackerQueryParser.HexValue(hex[i * 2]);
            int low = TrackerQueryParser.HexValue(hex[(i * 2) + 1]);
            if (high < 0 || low < 0)
            {
                return false;
            }

            destination[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    internal static bool IsErrorId(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > MaxErrorIdLength)
        {
            return false;
        }

        foreach (byte b in value)
        {
            if (b is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Valid UTF-8 without control characters (line breaks and tabs allowed in messages).</summary>
    internal static bool IsPrintableUtf8(ReadOnlySpan<byte> text, bool allowLineBreaks)
    {
        foreach (byte b in text)
        {
            if (b == 0x7F || (b < 0x20 && !(allowLineBreaks && b is (byte)'\n' or (byte)'\r' or (byte)'\t')))
            {
                return false;
            }
        }

        return Utf8.IsValid(text);
    }
}
