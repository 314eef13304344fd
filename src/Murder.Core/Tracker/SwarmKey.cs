using System;
using System.Security.Cryptography;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker;

/// <summary>
/// Who may join a swarm when the tracker has a swarm secret: an announce must carry
/// <c>murder_key=HEX</c>, the first 16 bytes of HMAC-SHA256(secret, info-hash). The key sits in the
/// torrent's announce URL, so every standard client sends it without knowing what it is; the
/// .torrent travels to peers over SSH, so only the fleet has it.
/// </summary>
public static class SwarmKey
{
    /// <summary>The announce URL parameter.</summary>
    public const string ParameterName = "murder_key";

    /// <summary>The key length in bytes (32 hexadecimal digits).</summary>
    public const int Length = 16;

    /// <summary>The key for a torrent, as lower-case hex.</summary>
    public static string Derive(ReadOnlySpan<byte> secret, InfoHash infoHash)
    {
        Span<byte> key = stackalloc byte[Length];
        Compute(secret, infoHash.Bytes, key);
        return Convert.ToHexString(key).ToLowerInvariant();
    }

    /// <summary>The announce URL with the torrent's key added.</summary>
    public static string AddToUrl(string announceUrl, ReadOnlySpan<byte> secret, InfoHash infoHash) =>
        announceUrl + (announceUrl.Contains('?', StringComparison.Ordinal) ? "&" : "?") + ParameterName + "=" + Derive(secret, infoHash);

    /// <summary>Whether a key (raw bytes) matches, compared in constant time.</summary>
    internal static bool Matches(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> infoHash, ReadOnlySpan<byte> key)
    {
        Span<byte> expected = stackalloc byte[Length];
        Compute(secret, infoHash, expected);
        return key.Length == Length && CryptographicOperations.FixedTimeEquals(expected, key);
    }

    private static void Compute(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> infoHash, Span<byte> destination)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(secret, infoHash, mac);
        mac[..Length].CopyTo(destination);
    }
}
