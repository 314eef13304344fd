using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace Murder.Core.Fleet;

/// <summary>
/// An OpenSSH known_hosts file: plain and hashed (|1|salt|hash) host patterns, [host]:port entries,
/// * and ? wildcards, ! negation and the @revoked marker (@cert-authority lines are ignored). Keys
/// are compared as the server's public-key blobs, so the signature algorithm does not matter.
/// </summary>
public sealed class KnownHosts
{
    private const int MaxLines = 100_000;
    private readonly List<Entry> _entries;

    private KnownHosts(List<Entry> entries) => _entries = entries;

    /// <summary>The default file: ~/.ssh/known_hosts.</summary>
    public static string DefaultPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

    /// <summary>Reads a file; a missing file knows no host.</summary>
    public static KnownHosts Load(string path)
    {
        if (!File.Exists(path))
        {
            return Parse(string.Empty);
        }

        return Parse(File.ReadAllText(path));
    }

    /// <summary>Parses the text of a known_hosts file, skipping lines it cannot read.</summary>
    public static KnownHosts Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<Entry>();
        int count = 0;
        foreach (string raw in text.Split('\n'))
        {
            if (++count > MaxLines)
            {
                break;
            }

            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            bool revoked = false;
            int first = 0;
            if (fields[0].StartsWith('@'))
            {
                if (fields[0] != "@revoked")
                {
                    continue;
                }

                revoked = true;
                first = 1;
            }

            if (fields.Length < first + 3)
            {
                continue;
            }

            byte[] key;
            try
            {
                key = Convert.FromBase64String(fields[first + 2]);
            }
            catch (FormatException)
            {
                continue;
            }

            entries.Add(new Entry(fields[first].Split(','), key, revoked));
        }

        return new KnownHosts(entries);
    }

    /// <summary>Checks the key a host presented.</summary>
    public KnownHostMatch Check(string host, int port, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string name = port == 22 ? host : $"[{host}]:{port}";
        bool listed = false;
        foreach (Entry entry in _entries)
        {
            if (!Matches(entry.Patterns, name))
            {
                continue;
            }

            bool same = CryptographicOperations.FixedTimeEquals(entry.Key, key);
            if (entry.Revoked)
            {
                if (same)
                {
                    return KnownHostMatch.Revoked;
                }

                continue;
            }

            if (same)
            {
                return KnownHostMatch.Trusted;
            }

            listed = true;
        }

        return listed ? KnownHostMatch.Mismatch : KnownHostMatch.Unknown;
    }

    /// <summary>The OpenSSH-style SHA256 fingerprint of a key blob, as ssh-keygen -l prints it.</summary>
    public static string Fingerprint(byte[] key) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(key)).TrimEnd('=');

    private static bool Matches(string[] patterns, string name)
    {
        bool matched = false;
        foreach (string pattern in patterns)
        {
            if (pattern.StartsWith("|1|", StringComparison.Ordinal))
            {
                matched |= HashedMatches(pattern, name);
            }
            else if (pattern.StartsWith('!'))
            {
                if (Wildcard(pattern[1..], name))
                {
                    return false;
                }
            }
            else
            {
                matched |= Wildcard(pattern, name);
            }
        }

        return matched;
    }

    private static bool HashedMatches(string pattern, string name)
    {
        string[] parts = pattern.Split('|');
        if (parts.Length != 4)
        {
            return false;
        }

        try
        {
            byte[] salt = Convert.FromBase64String(parts[2]);
            byte[] expected = Convert.FromBase64String(parts[3]);
            byte[] actual = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name));
            return CryptographicOperations.FixedTimeEquals(expected, actual);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool Wildcard(string pattern, string name)
    {
        // Iterative glob over * and ?, case-insensitive as host names are.
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(name[n])))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private sealed record Entry(string[] Patterns, byte[] Key, bool Revoked);
}
