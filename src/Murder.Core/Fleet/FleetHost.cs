using System;
using System.Globalization;
using System.Net;

namespace Murder.Core.Fleet;

/// <summary>
/// A machine of the fleet: its name as the SSH client dials it (HostSuffix already appended) and
/// its SSH port. Written as NAME, NAME:PORT, [IPv6]:PORT or a bare IPv6 address.
/// </summary>
public sealed record FleetHost(string Name, int Port)
{
    /// <summary>NAME, or NAME:PORT when the port is not 22.</summary>
    public override string ToString() => Port == 22 ? Name : (Name.Contains(':', StringComparison.Ordinal) ? $"[{Name}]:{Port}" : $"{Name}:{Port}");

    /// <summary>Returns null when <paramref name="text"/> is a valid host entry, or what is wrong with it.</summary>
    public static string? Check(string? text) => TryParse(text, string.Empty, 22, out _, out string? problem) ? null : problem;

    /// <summary>
    /// Parses a host entry, appending <paramref name="suffix"/> (Murder's host_suffix) to names but
    /// not to IP addresses or names that already end with it, and using <paramref name="defaultPort"/>
    /// when the entry has no port. Throws <see cref="MurderException"/> (InvalidHostName).
    /// </summary>
    public static FleetHost Parse(string? text, string suffix, int defaultPort)
    {
        if (!TryParse(text, suffix, defaultPort, out FleetHost? host, out string? problem))
        {
            throw new MurderException("InvalidHostName", MurderErrorCategory.InvalidArgument, $"The host '{text}' is not valid: {problem}. Write NAME, NAME:PORT or [IPv6]:PORT.")
            {
                TargetObject = text,
            };
        }

        return host!;
    }

    private static bool TryParse(string? text, string suffix, int defaultPort, out FleetHost? host, out string? problem)
    {
        host = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "it is empty";
            return false;
        }

        string name = text.Trim();
        int port = defaultPort;
        if (name.StartsWith('['))
        {
            int close = name.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                problem = "'[' has no matching ']'";
                return false;
            }

            string rest = name[(close + 1)..];
            name = name[1..close];
            if (rest.Length > 0 && !TryPort(rest, out port, out problem))
            {
                return false;
            }

            if (!IPAddress.TryParse(name, out _))
            {
                problem = $"'{name}' in brackets is not an IPv6 address";
                return false;
            }
        }
        else if (name.Contains(':', StringComparison.Ordinal) && name.IndexOf(':', StringComparison.Ordinal) == name.LastIndexOf(':'))
        {
            int colon = name.IndexOf(':', StringComparison.Ordinal);
            if (!TryPort(name[colon..], out port, out problem))
            {
                return false;
            }

            name = name[..colon];
        }
        else if (name.Contains(':', StringComparison.Ordinal) && !IPAddress.TryParse(name, out _))
        {
            problem = "it has several ':' but is not an IPv6 address";
            return false;
        }

        if (name.Length == 0 || name.Length > 253)
        {
            problem = "the name is empty or longer than 253 characters";
            return false;
        }

        if (name.StartsWith('-') || name.StartsWith('.'))
        {
            problem = "a name may not start with '-' or '.'";
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '%'))
            {
                problem = $"it contains '{c}'; a host name has letters, digits, '.', '-' and '_'";
                return false;
            }
        }

        bool isAddress = IPAddress.TryParse(name, out _);
        if (!isAddress && !string.IsNullOrEmpty(suffix) && !name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            name += suffix;
        }

        host = new FleetHost(name, port);
        return true;
    }

    private static bool TryPort(string text, out int port, out string? problem)
    {
        problem = null;
        if (text.Length < 2 || text[0] != ':' || !int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            port = 0;
            problem = $"'{text.TrimStart(':')}' is not a port from 1 to 65535";
            return false;
        }

        return true;
    }
}
