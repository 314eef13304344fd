using System;
using System.Globalization;

namespace Murder.Core.MetaInfo;

/// <summary>Turns what a user types for a tracker into the announce URL a .torrent carries.</summary>
public static class AnnounceUrl
{
    /// <summary>Murder's tracker port.</summary>
    public const int DefaultPort = 8998;

    /// <summary>
    /// Accepts <c>http://host:port/announce</c> (also https and udp), <c>host:port</c>,
    /// <c>[ipv6]:port</c> or a bare host (port 8998), and returns a full URL. A URL without a path
    /// gets <c>/announce</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a usable tracker address; the message says why.</exception>
    public static string Normalize(string tracker)
    {
        if (string.IsNullOrWhiteSpace(tracker))
        {
            throw new ArgumentException("The tracker is empty. Give http://HOST:PORT/announce or HOST:PORT.", nameof(tracker));
        }

        string text = tracker.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri))
            {
                throw new ArgumentException($"'{tracker}' is not a valid URL. Give http://HOST:PORT/announce or HOST:PORT.", nameof(tracker));
            }

            if (uri.Scheme is not ("http" or "https" or "udp"))
            {
                throw new ArgumentException($"'{tracker}' uses the scheme '{uri.Scheme}'; a tracker URL starts with http://, https:// or udp://.", nameof(tracker));
            }

            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new ArgumentException($"'{tracker}' carries user information; leave credentials out of tracker URLs, they end up in every .torrent.", nameof(tracker));
            }

            if (string.IsNullOrEmpty(uri.Host))
            {
                throw new ArgumentException($"'{tracker}' has no host.", nameof(tracker));
            }

            var builder = new UriBuilder(uri);
            if (uri.Scheme != "udp" && (builder.Path.Length == 0 || builder.Path == "/"))
            {
                builder.Path = "/announce";
            }

            if (builder.Fragment.Length > 0)
            {
                throw new ArgumentException($"'{tracker}' has a fragment (#...); tracker URLs have none.", nameof(tracker));
            }

            return builder.Uri.AbsoluteUri;
        }

        (string host, int port) = SplitHostPort(text, tracker);
        string hostPart = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        return new Uri($"http://{hostPart}:{port.ToString(CultureInfo.InvariantCulture)}/announce").AbsoluteUri;
    }

    private static (string Host, int Port) SplitHostPort(string text, string original)
    {
        string host;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"'{original}' opens '[' for an IPv6 address but never closes it.", nameof(original));
            }

            host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':'))
                {
                    throw new ArgumentException($"'{original}' has text after the IPv6 address that is not ':PORT'.", nameof(original));
                }

                portText = rest[1..];
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw new ArgumentException($"'{original}' looks like an IPv6 address; write it as [ADDRESS]:PORT.", nameof(original));
            }

            host = colon >= 0 ? text[..colon] : text;
            portText = colon >= 0 ? text[(colon + 1)..] : null;
        }

        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            throw new ArgumentException($"'{host}' in '{original}' is not a valid host name or address.", nameof(original));
        }

        int port = DefaultPort;
        if (portText is not null
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535))
        {
            throw new ArgumentException($"'{portText}' in '{original}' is not a port number from 1 to 65535.", nameof(original));
        }

        return (host, port);
    }
}
