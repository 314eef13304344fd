using System;
using System.Buffers.Text;
using System.Net;
using Murder.Core.BEncoding;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Http;

namespace Murder.Fuzz.Targets;

/// <summary>
/// The tracker's request handling as the socket server drives it, sans-IO: the input is the bytes
/// a client sends on one connection (possibly several pipelined requests). HttpRequestParser and
/// TrackerEngine never throw; every request gets a well-formed HTTP response with a correct
/// Content-Length, the body of every announce, scrape or report answer is valid bencode, and every
/// deploy-ledger or swarm-list answer served is a JSON object. Run once as a
/// loopback client and once as a remote one, on a small open tracker (so limits are reached).
/// </summary>
internal static class TrackerTarget
{
    /// <summary>The info-hash the corpus announces: registered, so it is served even when the tracker is full.</summary>
    public static readonly InfoHash RegisteredTorrent = new(new byte[]
    {
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78,
    });

    private static readonly TrackerOptions Options = new()
    {
        Open = true,
        MaxTorrents = 8,
        MaxPeers = 32,
        MaxNumWant = 16,
        DefaultNumWant = 8,
        MaxScrapeHashes = 4,
        MaxRequestHeaderBytes = 1024,
    };

    public static void Run(byte[] data)
    {
        Serve(data, new TrackerClientInfo(PeerAddress.From(IPAddress.Loopback), IsLoopback: true));
        Serve(data, new TrackerClientInfo(PeerAddress.From(IPAddress.Parse("192.0.2.7")), IsLoopback: false));
    }

    private static void Serve(byte[] data, TrackerClientInfo client)
    {
        var registry = new SwarmRegistry(Options, new FixedTime());
        registry.Register(RegisteredTorrent, "release.tgz");
        var engine = new TrackerEngine(registry);
        using var output = new ResponseBuilder();
        int offset = 0;
        while (offset < data.Length)
        {
            ReadOnlySpan<byte> buffer = data.AsSpan(offset);
            HttpParseStatus status = HttpRequestParser.TryParse(buffer, Options.MaxRequestHeaderBytes, out HttpRequestHead head);
            if (status == HttpParseStatus.Incomplete)
            {
                FuzzInvariantException.Check(buffer.Length < Options.MaxRequestHeaderBytes, "a head over the size limit is still 'incomplete'");
                return;
            }

            if (status != HttpParseStatus.Complete)
            {
                FuzzInvariantException.Check(head.Error is not null, $"status {status} without a reason");
                CheckResponse(TrackerEngine.Reject(status, head.Error, output), expectBencode: true, isHead: false);
                return;
            }

            FuzzInvariantException.Check(head.Length > 0 && head.Length <= buffer.Length && head.Length <= Options.MaxRequestHeaderBytes, $"head length {head.Length} of {buffer.Length} bytes");
            FuzzInvariantException.Check(head.TargetStart > 0 && head.TargetLength > 0 && head.TargetStart + head.TargetLength <= head.Length, "the request target lies outside the head");
            FuzzInvariantException.Check(head.PathLength <= head.TargetLength && buffer[head.TargetStart] == (byte)'/', "the path is not a '/'-prefix of the target");
            FuzzInvariantException.Check(head.HostStart < 0 || (head.HostLength >= 0 && head.HostStart + head.HostLength <= head.Length), "the Host value lies outside the head");

            bool keepAlive = engine.Handle(buffer, head, client, output, out ArraySegment<byte> response);
            ReadOnlySpan<byte> path = buffer.Slice(head.TargetStart, head.PathLength);
            CheckResponse(response, expectBencode: path.SequenceEqual("/announce"u8) || path.SequenceEqual("/scrape"u8) || path.SequenceEqual("/report"u8), head.IsHead, expectJson: path.SequenceEqual("/deploy"u8) || path.SequenceEqual("/swarms"u8));
            FuzzInvariantException.Check(registry.PeerCount <= Options.MaxPeers && registry.TorrentCount <= Options.MaxTorrents, "the registry grew past its limits");
            offset += head.Length;
            if (!keepAlive)
            {
                return;
            }
        }
    }

    private static void CheckResponse(ArraySegment<byte> response, bool expectBencode, bool isHead, bool expectJson = false)
    {
        ReadOnlySpan<byte> bytes = response;
        FuzzInvariantException.Check(bytes.StartsWith("HTTP/1.1 "u8), "the response does not start with a status line");
        int end = bytes.IndexOf("\r\n\r\n"u8);
        FuzzInvariantException.Check(end > 0, "the response head is not terminated");
        ReadOnlySpan<byte> head = bytes[..end];
        ReadOnlySpan<byte> body = bytes[(end + 4)..];
        int field = head.IndexOf("\r\nContent-Length: "u8);
        FuzzInvariantException.Check(field > 0, "the response has no Content-Length");
        ReadOnlySpan<byte> digits = head[(field + 18)..];
        int lineEnd = digits.IndexOf("\r\n"u8);
        digits = lineEnd < 0 ? digits : digits[..lineEnd];
        FuzzInvariantException.Check(Utf8Parser.TryParse(digits, out long contentLength, out int used) && used == digits.Length, "the Content-Length is not a number");
        if (isHead)
        {
            FuzzInvariantException.Check(body.IsEmpty, "a HEAD response carries a body");
            return;
        }

        FuzzInvariantException.Check(contentLength == body.Length, $"Content-Length {contentLength} but the body has {body.Length} bytes");
        if (expectJson && bytes.StartsWith("HTTP/1.1 200"u8))
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(body.ToArray());
                FuzzInvariantException.Check(json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object, "a ledger or swarm list answer is not a JSON object");
            }
            catch (System.Text.Json.JsonException error)
            {
                throw new FuzzInvariantException("a ledger or swarm list answer is not valid JSON", error);
            }
        }

        if (expectBencode)
        {
            try
            {
                FuzzInvariantException.Check(BencodeReader.Decode(body.ToArray()) is BDictionary, "a tracker answer is not a bencoded dictionary");
            }
            catch (BencodeException error)
            {
                throw new FuzzInvariantException("a tracker answer is not valid bencode", error);
            }
        }
    }

    /// <summary>A clock that does not move: the same input always meets the same registry state.</summary>
    private sealed class FixedTime : TimeProvider
    {
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => 1_000_000;

        public override DateTimeOffset GetUtcNow() => new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }
}
