using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using Murder.Core.BEncoding;

namespace Murder.Core.Tracker.Client;

/// <summary>Strict parsing of tracker responses with the bencode reader and tight limits.</summary>
internal static class TrackerResponseParser
{
    /// <summary>The largest response accepted.</summary>
    public const int MaxResponseBytes = 2 * 1024 * 1024;

    private static readonly BencodeLimits Limits = new() { MaxDepth = 8, MaxTokens = 200_000, MaxStringLength = MaxResponseBytes };

    public static TrackerAnnounceResponse ParseAnnounce(ReadOnlyMemory<byte> body, string tracker)
    {
        BDictionary root = Decode(body, tracker);
        ThrowIfFailure(root, tracker);
        if (!root.TryGet("interval", out BInteger interval) || interval.Value < 0 || interval.Value > int.MaxValue)
        {
            throw Invalid(tracker, "it has no valid 'interval'");
        }

        var peers = new List<IPEndPoint>();
        switch (root["peers"])
        {
            case BString compact:
                ReadCompact(compact.Bytes.Span, 4, peers, tracker, "peers");
                break;
            case BList list:
                foreach (BValue item in list)
                {
                    peers.Add(ReadDictionaryPeer(item, tracker));
                }

                break;
            case null:
                break;
            default:
                throw Invalid(tracker, "'peers' is neither a string nor a list");
        }

        switch (root["peers6"])
        {
            case BString compact6:
                ReadCompact(compact6.Bytes.Span, 16, peers, tracker, "peers6");
                break;
            case null:
                break;
            default:
                throw Invalid(tracker, "'peers6' is not a string");
        }

        return new TrackerAnnounceResponse
        {
            Interval = TimeSpan.FromSeconds(interval.Value),
            MinInterval = root.TryGet("min interval", out BInteger min) && min.Value >= 0 && min.Value <= int.MaxValue ? TimeSpan.FromSeconds(min.Value) : null,
            Peers = peers,
            Seeders = root.TryGet("complete", out BInteger complete) ? complete.Value : null,
            Leechers = root.TryGet("incomplete", out BInteger incomplete) ? incomplete.Value : null,
            WarningMessage = root.TryGet("warning message", out BString warning) ? warning.ToString() : null,
        };
    }

    public static IReadOnlyList<TrackerTorrentStatus> ParseScrape(ReadOnlyMemory<byte> body, string tracker)
    {
        BDictionary root = Decode(body, tracker);
        ThrowIfFailure(root, tracker);
        if (!root.TryGet("files", out BDictionary files))
        {
            throw Invalid(tracker, "it has no 'files' dictionary");
        }

        var result = new List<TrackerTorrentStatus>(files.Count);
        foreach (KeyValuePair<BString, BValue> pair in files)
        {
            if (pair.Key.Bytes.Length != MetaInfo.InfoHash.Length || pair.Value is not BDictionary stats)
            {
                throw Invalid(tracker, "a 'files' entry is not a 20-byte info-hash with a dictionary");
            }

            result.Add(new TrackerTorrentStatus
            {
                Tracker = tracker,
                InfoHash = Convert.ToHexString(pair.Key.Bytes.Span).ToLowerInvariant(),
                Name = stats.TryGet("name", out BString name) && name.TryGetText(out string text) ? text : null,
                Seeders = Count(stats, "complete", tracker),
                Leechers = Count(stats, "incomplete", tracker),
                Completed = Count(stats, "downloaded", tracker),
            });
        }

        return result;
    }

    private static long Count(BDictionary stats, string key, string tracker)
    {
        if (!stats.TryGet(key, out BInteger value))
        {
            return 0;
        }

        return value.Value >= 0 ? value.Value : throw Invalid(tracker, $"'{key}' is negative");
    }

    private static BDictionary Decode(ReadOnlyMemory<byte> body, string tracker)
    {
        if (body.Length > MaxResponseBytes)
        {
            throw Invalid(tracker, $"it is larger than {MaxResponseBytes} bytes");
        }

        try
        {
            return BencodeReader.Decode(body, Limits) as BDictionary ?? throw Invalid(tracker, "it is not a bencoded dictionary");
        }
        catch (BencodeException error)
        {
            throw Invalid(tracker, "it is not valid bencode: " + error.Message);
        }
    }

    private static void ThrowIfFailure(BDictionary root, string tracker)
    {
        if (root.TryGet("failure reason", out BString reason))
        {
            throw new MurderException("TrackerFailure", MurderErrorCategory.InvalidOperation, $"The tracker {tracker} refused the request: {reason}.")
            {
                TargetObject = tracker,
            };
        }
    }

    private static void ReadCompact(ReadOnlySpan<byte> bytes, int addressLength, List<IPEndPoint> peers, string tracker, string key)
    {
        int entry = addressLength + 2;
        if (bytes.Length % entry != 0)
        {
            throw Invalid(tracker, $"'{key}' is {bytes.Length} bytes, not a multiple of {entry}");
        }

        for (int offset = 0; offset < bytes.Length; offset += entry)
        {
            int port = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(offset + addressLength, 2));
            if (port == 0)
            {
                continue;
            }

            peers.Add(new IPEndPoint(new IPAddress(bytes.Slice(offset, addressLength)), port));
        }
    }

    private static IPEndPoint ReadDictionaryPeer(BValue item, string tracker)
    {
        if (item is not BDictionary peer
            || !peer.TryGet("ip", out BString ip)
            || !peer.TryGet("port", out BInteger port)
            || !ip.TryGetText(out string ipText)
            || !IPAddress.TryParse(ipText, out IPAddress? address)
            || port.Value is < 1 or > 65535)
        {
            throw Invalid(tracker, "a peer in 'peers' has no valid 'ip' address and 'port'");
        }

        return new IPEndPoint(address, (int)port.Value);
    }

    private static MurderException Invalid(string tracker, string why) =>
        new("TrackerResponseInvalid", MurderErrorCategory.InvalidData, string.Create(CultureInfo.InvariantCulture, $"The tracker {tracker} sent a response Murder cannot use: {why}."))
        {
            TargetObject = tracker,
        };
}
