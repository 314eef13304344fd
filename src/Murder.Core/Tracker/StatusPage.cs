using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;

namespace Murder.Core.Tracker;

/// <summary>The tracker's HTML page at '/': what Get-MurderTracker shows, for a browser.</summary>
internal static class StatusPage
{
    public static string Render(IReadOnlyList<SwarmSnapshot> swarms, int peerCount, bool open)
    {
        var html = new StringBuilder(1024 + (swarms.Count * 200));
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Murder tracker</title>")
            .Append("<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}td.l,th.l{text-align:left}</style>")
            .Append("</head><body><h1>Murder tracker</h1>\n<p>")
            .Append(swarms.Count.ToString(CultureInfo.InvariantCulture)).Append(" torrents, ")
            .Append(peerCount.ToString(CultureInfo.InvariantCulture)).Append(" peers")
            .Append(open ? " (open: any torrent is served)" : " (registered torrents only)")
            .Append(".</p>\n<table><tr><th class=\"l\">Name</th><th class=\"l\">Info-hash</th><th>Seeders</th><th>Leechers</th><th>Completed</th></tr>\n");
        foreach (SwarmSnapshot swarm in swarms)
        {
            html.Append("<tr><td class=\"l\">").Append(WebUtility.HtmlEncode(swarm.Name ?? string.Empty))
                .Append("</td><td class=\"l\"><code>").Append(swarm.InfoHash.ToHex())
                .Append("</code></td><td>").Append(swarm.Seeders.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(swarm.Leechers.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(swarm.Completed.ToString(CultureInfo.InvariantCulture))
                .Append("</td></tr>\n");
        }

        html.Append("</table>\n<p>Updated ").Append(DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture)).Append(".</p></body></html>\n");
        return html.ToString();
    }
}
