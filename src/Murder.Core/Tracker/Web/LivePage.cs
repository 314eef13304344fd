using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text;

namespace Murder.Core.Tracker.Web;

/// <summary>
/// The tracker's page at '/': one self-contained HTML file (styles and script inline, nothing
/// fetched from anywhere else) that polls /swarms and /deploy and draws the fleet. The torrent
/// table is also rendered here on the server, so the page says something without script too.
/// </summary>
internal static class LivePage
{
    private const string ResourceName = "Murder.Core.Tracker.Web.LivePage.html";
    private const string SwarmsMarker = "<!--swarms-->";

    private static readonly Lazy<(string Before, string After)> Template = new(Load);
    private static readonly Lazy<byte[]> Headers = new(() => BuildHeaders(Template.Value.Before + Template.Value.After));

    /// <summary>
    /// The page's header lines: a Content-Security-Policy that lets run only the page's own inline
    /// script and style (by hash) and fetch only from this tracker, so a host name or message that
    /// slipped past encoding could still not run or load anything; no framing, no sniffing.
    /// </summary>
    public static ReadOnlySpan<byte> SecurityHeaders => Headers.Value;

    public static ReadOnlySpan<byte> Render(IReadOnlyList<SwarmSnapshot> swarms, int peerCount, bool open)
    {
        (string before, string after) = Template.Value;
        var html = new StringBuilder(before.Length + after.Length + 256 + (swarms.Count * 200));
        html.Append(before)
            .Append("<p id=\"summary\">").Append(swarms.Count.ToString(CultureInfo.InvariantCulture)).Append(" torrents, ")
            .Append(peerCount.ToString(CultureInfo.InvariantCulture)).Append(" peers")
            .Append(open ? " (open: any torrent is served)" : " (registered torrents only)")
            .Append(".</p>\n<table id=\"swarms\"><thead><tr><th class=\"l\">Name</th><th class=\"l\">Info-hash</th><th>Seeders</th><th>Leechers</th><th>Completed</th></tr></thead><tbody>\n");
        foreach (SwarmSnapshot swarm in swarms)
        {
            html.Append("<tr><td class=\"l\">").Append(WebUtility.HtmlEncode(swarm.Name ?? string.Empty))
                .Append("</td><td class=\"l\"><code>").Append(swarm.InfoHash.ToHex())
                .Append("</code></td><td>").Append(swarm.Seeders.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(swarm.Leechers.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(swarm.Completed.ToString(CultureInfo.InvariantCulture))
                .Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n").Append(after);
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    private static byte[] BuildHeaders(string page) =>
        Encoding.ASCII.GetBytes(
            "Content-Security-Policy: default-src 'none'; script-src " + HashOf(page, "<script>", "</script>")
            + "; style-src " + HashOf(page, "<style>", "</style>")
            + "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"
            + "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n");

    private static string HashOf(string page, string open, string close)
    {
        int start = page.IndexOf(open, StringComparison.Ordinal);
        int end = start < 0 ? -1 : page.IndexOf(close, start, StringComparison.Ordinal);
        if (end < 0 || page.IndexOf(open, end, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"The live page must hold exactly one {open} element for its Content-Security-Policy.");
        }

        byte[] content = Encoding.UTF8.GetBytes(page[(start + open.Length)..end]);
        return "'sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(content)) + "'";
    }

    private static (string Before, string After) Load()
    {
        using Stream stream = typeof(LivePage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The live page resource {ResourceName} is missing from the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = reader.ReadToEnd();
        int marker = text.IndexOf(SwarmsMarker, StringComparison.Ordinal);
        return marker < 0
            ? throw new InvalidOperationException($"The live page resource has no {SwarmsMarker} marker.")
            : (text[..marker], text[(marker + SwarmsMarker.Length)..]);
    }
}
