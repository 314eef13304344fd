using System;
using System.Security.Cryptography;

namespace Murder.Core.MetaInfo;

/// <summary>A BitTorrent v1 info-hash: the SHA-1 of the bencoded info dictionary.</summary>
public readonly struct InfoHash : IEquatable<InfoHash>
{
    /// <summary>The size of an info-hash in bytes.</summary>
    public const int Length = 20;

    private readonly byte[]? _bytes;

    /// <summary>Wraps 20 bytes (copied).</summary>
    public InfoHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An info-hash is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    /// <summary>The 20 bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Length];

    /// <summary>Computes the info-hash of the raw bytes of an info dictionary.</summary>
    public static InfoHash Compute(ReadOnlySpan<byte> bencodedInfo) => new(SHA1.HashData(bencodedInfo));

    /// <summary>Parses 40 hexadecimal digits.</summary>
    public static InfoHash Parse(string hex)
    {
        if (hex is null || hex.Length != Length * 2)
        {
            throw new FormatException($"An info-hash is {Length * 2} hexadecimal digits.");
        }

        return new InfoHash(Convert.FromHexString(hex));
    }

    /// <summary>Lower-case hexadecimal, as BitTorrent tools print it.</summary>
    public string ToHex() => Convert.ToHexString(Bytes).ToLowerInvariant();

    /// <inheritdoc/>
    public override string ToString() => ToHex();

    /// <inheritdoc/>
    public bool Equals(InfoHash other) => Bytes.SequenceEqual(other.Bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is InfoHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(Bytes);

    /// <summary>Equality.</summary>
    public static bool operator ==(InfoHash left, InfoHash right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(InfoHash left, InfoHash right) => !left.Equals(right);
}
