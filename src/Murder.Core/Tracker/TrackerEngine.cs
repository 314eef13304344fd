using System;
using System.Diagnostics;
using Murder.Core.Tracker.Http;
using Murder.Core.Tracker.Ledger;
using Murder.Core.Tracker.Metrics;
using Murder.Core.Tracker.Web;

namespace Murder.Core.Tracker;

/// <summary>
/// The tracker's request handling, sans-IO: a parsed request head and who sent it in, a whole
/// HTTP response out. The socket server and the unit tests drive it the same way.
/// </summary>
internal sealed partial class TrackerEngine
{
    private const int ScrapeStackLimit = 64;
    private readonly SwarmRegistry _registry;
    private readonly DeployLedgerRegistry _ledgers;
    private readonly TrackerOptions _options;
    private readonly TrackerMetrics _metrics = new();

    /// <summary>An engine over <paramref name="registry"/>, with the deploy ledgers in <paramref name="ledgers"/> (new, empty ones when null).</summary>
    public TrackerEngine(SwarmRegistry registry, DeployLedgerRegistry? ledgers = null)
    {
        _registry = registry;
        _options = registry.Options;
        _ledgers = ledgers ?? new DeployLedgerRegistry(registry.Options, registry.Time);
    }

    public SwarmRegistry Registry => _registry;

    /// <summary>The deploy ledgers (see TrackerEngine.Ledger.cs).</summary>
    public DeployLedgerRegistry Ledgers => _ledgers;

    public TrackerMetrics Metrics => _metrics;

    private const string SwarmKeyFailure = "this swarm needs a swarm key: use the .torrent made for it (New-MurderTorrent -SwarmSecret)";

    private static ReadOnlySpan<byte> PlainText => "text/plain"u8;

    /// <summary>Answers one request; returns whether the connection may stay open.</summary>
    public bool Handle(ReadOnlySpan<byte> buffer, in HttpRequestHead head, in TrackerClientInfo client, ResponseBuilder output, out ArraySegment<byte> response)
    {
        long started = Stopwatch.GetTimestamp();
        output.Reset();
        ReadOnlySpan<byte> target = buffer.Slice(head.TargetStart, head.TargetLength);
        ReadOnlySpan<byte> path = target[..head.PathLength];
        ReadOnlySpan<byte> query = head.PathLength < target.Length ? target[(head.PathLength + 1)..] : ReadOnlySpan<byte>.Empty;
        ReadOnlySpan<byte> host = head.HostStart >= 0 ? buffer.Slice(head.HostStart, head.HostLength) : ReadOnlySpan<byte>.Empty;
        int status = 200;
        ReadOnlySpan<byte> contentType = PlainText;
        ReadOnlySpan<byte> headers = ReadOnlySpan<byte>.Empty;
        RequestRoute route;

        if (path.SequenceEqual("/announce"u8))
        {
            route = RequestRoute.Announce;
            _metrics.CountAnnounce(Announce(query, host, client, output));
        }
        else if (path.SequenceEqual("/scrape"u8))
        {
            route = RequestRoute.Scrape;
            _metrics.CountScrape(Scrape(query, output));
        }
        else if (path.SequenceEqual("/report"u8))
        {
            route = RequestRoute.Report;
            Report(query, client, output);
        }
        else if (path.SequenceEqual("/deploy"u8))
        {
            route = RequestRoute.Deploy;
            status = Deploy(query, host, output, out contentType);
        }
        else if (path.SequenceEqual("/"u8) || path.SequenceEqual("/index.html"u8))
        {
            route = RequestRoute.Page;
            if (IsTrusted(host, output, ref status))
            {
                output.Write(LivePage.Render(_registry.Snapshot(), _registry.PeerCount, _options.Open));
                contentType = "text/html; charset=utf-8"u8;
                headers = LivePage.SecurityHeaders;
            }
        }
        else if (path.SequenceEqual("/swarms"u8))
        {
            route = RequestRoute.Page;
            if (IsTrusted(host, output, ref status))
            {
                SwarmListJson.Write(output, _registry.Snapshot(), _registry.PeerCount, _options.Open);
                contentType = JsonType;
            }
        }
        else if (path.SequenceEqual("/metrics"u8))
        {
            route = RequestRoute.Metrics;
            if (IsTrusted(host, output, ref status))
            {
                output.Write(_metrics.Render(_registry, _ledgers).ToUtf8());
                contentType = PrometheusWriter.ContentType;
            }
        }
        else
        {
            route = RequestRoute.Other;
            status = 404;
            output.WriteFailure("not found: this tracker serves /announce, /scrape, /report, /deploy, /metrics and its live page at /");
        }

        response = output.Finish(status, contentType, head.KeepAlive, head.IsHead, headers);
        _metrics.Observe(route, Stopwatch.GetTimestamp() - started);
        return head.KeepAlive;
    }

    private static ReadOnlySpan<byte> JsonType => "application/json; charset=utf-8"u8;

    /// <summary>
    /// Whether a read-only page may be served under this Host header (against DNS rebinding);
    /// when not, writes the 403 answer.
    /// </summary>
    private bool IsTrusted(ReadOnlySpan<byte> host, ResponseBuilder output, ref int status)
    {
        if (HostHeader.IsTrusted(host, _options.AllowedHostNames))
        {
            return true;
        }

        status = 403;
        output.WriteFailure("the live page, /metrics and the ledger are served only under an IP address, localhost, this machine's name or a name given to Start-MurderTracker -AllowedHostName: open the tracker by one of those, or start it with -AllowedHostName and this name");
        return false;
    }

    /// <summary>
    /// Whether answering a request costs a bounded amount whatever the tracker holds: an announce
    /// (at most MaxNumWant peers), a report (one ledger entry), a scrape of named torrents (at most
    /// MaxScrapeHashes) or a ledger read of one torrent with a small limit. The status page, a
    /// scrape of every torrent and the list of deploys grow with the number of torrents.
    /// </summary>
    public static bool IsBounded(ReadOnlySpan<byte> buffer, in HttpRequestHead head)
    {
        ReadOnlySpan<byte> target = buffer.Slice(head.TargetStart, head.TargetLength);
        ReadOnlySpan<byte> path = target[..head.PathLength];
        if (path.SequenceEqual("/announce"u8) || path.SequenceEqual("/report"u8))
        {
            return true;
        }

        ReadOnlySpan<byte> query = head.PathLength < target.Length ? target[(head.PathLength + 1)..] : ReadOnlySpan<byte>.Empty;
        if (path.SequenceEqual("/deploy"u8))
        {
            return LedgerQueryParser.IsBoundedRead(query);
        }

        return path.SequenceEqual("/scrape"u8) && (query.StartsWith("info_hash="u8) || query.IndexOf("&info_hash="u8) >= 0);
    }

    /// <summary>The response to a request that could not be parsed; the connection is then closed.</summary>
    public static ArraySegment<byte> Reject(HttpParseStatus status, string? error, ResponseBuilder output)
    {
        output.Reset();
        output.WriteFailure(error ?? "bad request");
        int code = status switch
        {
            HttpParseStatus.TooLarge => 431,
            HttpParseStatus.MethodNotAllowed => 405,
            HttpParseStatus.VersionNotSupported => 505,
            _ => 400,
        };
        return output.Finish(code, PlainText, keepAlive: false, omitBody: false);
    }

    /// <summary>The response when the connection limit is reached.</summary>
    public static ArraySegment<byte> Busy(ResponseBuilder output)
    {
        output.Reset();
        output.WriteFailure("the tracker is at its connection limit; try again");
        return output.Finish(503, PlainText, keepAlive: false, omitBody: false);
    }

    private AnnounceResult Announce(ReadOnlySpan<byte> query, ReadOnlySpan<byte> host, in TrackerClientInfo client, ResponseBuilder output)
    {
        string? failure = TrackerQueryParser.ParseAnnounce(query, out AnnounceRequest request);
        AnnounceResult result = failure is null ? AnnounceResult.Ok : AnnounceResult.Invalid;
        if (failure is null && CheckSwarmKey(request.InfoHash, request.SwarmKey) is string keyFailure)
        {
            (failure, result) = (keyFailure, AnnounceResult.Forbidden);
        }

        if (failure is null)
        {
            PeerAddress address = client.Address;
            if (request.Ip is PeerAddress claimed && IpParameterAllowed(host, client))
            {
                address = claimed;
            }

            failure = _registry.Announce(request, address, output);
            if (failure is not null)
            {
                // The registry refuses an unknown torrent or a full tracker; nothing else.
                result = failure == SwarmRegistry.UnregisteredFailure ? AnnounceResult.Unregistered : AnnounceResult.Limit;
            }
        }

        if (failure is not null)
        {
            output.Reset();
            output.WriteFailure(failure);
        }

        return result;
    }

    /// <summary>Null when the tracker has no swarm secret or the key is the torrent's; otherwise the failure (announces and reports alike).</summary>
    private string? CheckSwarmKey(Hash20 infoHash, SwarmKeyValue swarmKey)
    {
        if (_options.SwarmSecret is not byte[] secret)
        {
            return null;
        }

        if (swarmKey.IsPresent)
        {
            Span<byte> hash = stackalloc byte[Hash20.Length];
            infoHash.CopyTo(hash);
            Span<byte> key = stackalloc byte[SwarmKey.Length];
            swarmKey.CopyTo(key);
            if (SwarmKey.Matches(secret, hash, key))
            {
                return null;
            }
        }

        return SwarmKeyFailure;
    }

    private bool IpParameterAllowed(ReadOnlySpan<byte> host, in TrackerClientInfo client) =>
        _options.AllowIpParameter || (client.IsLoopback && HostHeader.IsTrusted(host, _options.AllowedHostNames));

    private AnnounceResult Scrape(ReadOnlySpan<byte> query, ResponseBuilder output)
    {
        int limit = _options.MaxScrapeHashes;
        Hash20[]? rented = limit > ScrapeStackLimit ? new Hash20[limit] : null;
        Span<Hash20> hashes = rented ?? stackalloc Hash20[ScrapeStackLimit];
        string? failure = TrackerQueryParser.ParseScrape(query, hashes[..limit], out int count);
        if (failure is not null)
        {
            output.WriteFailure(failure);
            return AnnounceResult.Invalid;
        }

        _registry.Scrape(hashes[..count], output);
        return AnnounceResult.Ok;
    }
}
