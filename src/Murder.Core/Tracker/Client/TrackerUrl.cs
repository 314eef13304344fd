using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker.Client;

/// <summary>Builds announce and scrape URLs: binary values percent-encoded byte by byte.</summary>
internal static class TrackerUrl
{
    public static Uri Announce(TrackerAnnounceRequest request)
    {
        RequireHttp(request.AnnounceUrl);
        if (request.PeerId.Length != InfoHash.Length)
        {
            throw new ArgumentException($"A peer id is {InfoHash.Length} bytes, not {request.PeerId.Length}.", nameof(request));
        }

        if (request.Port is < 1 or > 65535)
        {
            throw new ArgumentException($"The port {request.Port} is not from 1 to 65535.", nameof(request));
        }

        var url = new StringBuilder(request.AnnounceUrl.AbsoluteUri, 256);
        url.Append(string.IsNullOrEmpty(request.AnnounceUrl.Query) ? '?' : '&');
        url.Append("info_hash=");
        AppendPercentEncoded(url, request.InfoHash.Bytes);
        url.Append("&peer_id=");
        AppendPercentEncoded(url, request.PeerId.Span);
        url.Append(CultureInfo.InvariantCulture, $"&port={request.Port}&uploaded={request.Uploaded}&downloaded={request.Downloaded}&left={request.Left}&compact=1");
        string? eventName = request.Event switch
        {
            TrackerEvent.Started => "started",
            TrackerEvent.Completed => "completed",
            TrackerEvent.Stopped => "stopped",
            _ => null,
        };
        if (eventName is not null)
        {
            url.Append("&event=").Append(eventName);
        }

        if (request.NumWant is int numWant)
        {
            url.Append(CultureInfo.InvariantCulture, $"&numwant={Math.Max(0, numWant)}");
        }

        if (request.Key is uint key)
        {
            url.Append(CultureInfo.InvariantCulture, $"&key={key:x8}");
        }

        return new Uri(url.ToString());
    }

    /// <summary>The scrape URL by BEP 48's convention: the last path segment "announce..." becomes "scrape...".</summary>
    public static Uri Scrape(Uri announceUrl, IReadOnlyList<InfoHash> infoHashes)
    {
        RequireHttp(announceUrl);
        string path = announceUrl.AbsolutePath;
        int slash = path.LastIndexOf('/');
        if (slash < 0 || !path.AsSpan(slash + 1).StartsWith("announce", StringComparison.Ordinal))
        {
            throw new MurderException("TrackerScrapeUnsupported", MurderErrorCategory.InvalidOperation, $"The tracker URL '{announceUrl}' does not end in /announce, so it has no scrape URL (BEP 48).")
            {
                TargetObject = announceUrl.ToString(),
            };
        }

        var builder = new UriBuilder(announceUrl)
        {
            Path = string.Concat(path.AsSpan(0, slash + 1), "scrape", path.AsSpan(slash + 1 + "announce".Length)),
        };
        var query = new StringBuilder(announceUrl.Query.TrimStart('?'));
        foreach (InfoHash infoHash in infoHashes)
        {
            query.Append(query.Length > 0 ? "&" : string.Empty).Append("info_hash=");
            AppendPercentEncoded(query, infoHash.Bytes);
        }

        builder.Query = query.ToString();
        return builder.Uri;
    }

    public static void AppendPercentEncoded(StringBuilder url, ReadOnlySpan<byte> bytes)
    {
        const string Hex = "0123456789ABCDEF";
        foreach (byte b in bytes)
        {
            bool unreserved = b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
            if (unreserved)
            {
                url.Append((char)b);
            }
            else
            {
                url.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);
            }
        }
    }

    private static void RequireHttp(Uri url)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw new MurderException("TrackerSchemeUnsupported", MurderErrorCategory.InvalidArgument, $"The tracker URL '{url}' is not http:// or https://; only HTTP trackers are supported.")
            {
                TargetObject = url.ToString(),
            };
        }
    }
}
