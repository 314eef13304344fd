using System;
using System.Collections.Generic;
using System.Net;

namespace Murder.Core.Tracker;

/// <summary>
/// Decides whether a Host header names this tracker in a way a DNS-rebinding page cannot fake:
/// an IP literal, localhost, this machine's name, or a configured name.
/// </summary>
internal static class HostHeader
{
    // The name the tracker's URLs carry when it listens on every address (TrackerProcess): on some
    // systems a fully qualified name, where Environment.MachineName is only its first label.
    private static readonly Lazy<string> HostName = new(static () =>
    {
        try
        {
            return Dns.GetHostName();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return Environment.MachineName;
        }
    });

    public static bool IsTrusted(ReadOnlySpan<byte> host, IReadOnlyList<string> allowedNames)
    {
        if (host.IsEmpty || host.Length > 255)
        {
            return false;
        }

        Span<char> chars = stackalloc char[host.Length];
        for (int i = 0; i < host.Length; i++)
        {
            chars[i] = (char)host[i];
        }

        ReadOnlySpan<char> name = chars;
        if (name[0] == '[')
        {
            int close = name.IndexOf(']');
            return close > 1 && IPAddress.TryParse(name[1..close], out _) && IsPortSuffix(name[(close + 1)..]);
        }

        int colon = name.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!IsPortSuffix(name[colon..]))
            {
                return false;
            }

            name = name[..colon];
        }

        name = name.TrimEnd('.');
        if (IsDottedQuad(name))
        {
            return IPAddress.TryParse(name, out _);
        }

        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.Equals(Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            || name.Equals(HostName.Value, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (string allowed in allowedNames)
        {
            if (name.Equals(allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDottedQuad(ReadOnlySpan<char> name)
    {
        int dots = 0;
        foreach (char c in name)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return dots == 3;
    }

    private static bool IsPortSuffix(ReadOnlySpan<char> suffix)
    {
        if (suffix.IsEmpty)
        {
            return true;
        }

        if (suffix[0] != ':' || suffix.Length < 2 || suffix.Length > 6)
        {
            return false;
        }

        foreach (char c in suffix[1..])
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}
