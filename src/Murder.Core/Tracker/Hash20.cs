using System;
using System.Buffers.Binary;

namespace Murder.Core.Tracker;

/// <summary>
/// Twenty bytes (an info-hash or a peer id) as a value type: a dictionary key that costs no
/// allocation to build from a request buffer.
/// </summary>
internal readonly struct Hash20 : IEquatable<Hash20>, IComparable<Hash20>
{
    public const int Length = 20;

    private readonly ulong _first;
    private readonly ulong _second;
    private readonly uint _third;

    private Hash20(ulong first, ulong second, uint third)
    {
        _first = first;
        _second = second;
        _third = third;
    }

    public static Hash20 Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"Expected {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        return new Hash20(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _first);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _second);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _third);
    }

    public byte[] ToArray()
    {
        byte[] bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    public string ToHex() => Convert.ToHexString(ToArray()).ToLowerInvariant();

    public bool Equals(Hash20 other) => _first == other._first && _second == other._second && _third == other._third;

    public override bool Equals(object? obj) => obj is Hash20 other && Equals(other);

    /// <summary>Byte-wise order (the fields hold big-endian words), as bencode sorts keys.</summary>
    public int CompareTo(Hash20 other)
    {
        int result = _first.CompareTo(other._first);
        if (result == 0)
        {
            result = _second.CompareTo(other._second);
        }

        return result != 0 ? result : _third.CompareTo(other._third);
    }

    public static bool operator <(Hash20 left, Hash20 right) => left.CompareTo(right) < 0;

    public static bool operator >(Hash20 left, Hash20 right) => left.CompareTo(right) > 0;

    public static bool operator <=(Hash20 left, Hash20 right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Hash20 left, Hash20 right) => left.CompareTo(right) >= 0;

    public override int GetHashCode() => HashCode.Combine(_first, _second, _third);

    public static bool operator ==(Hash20 left, Hash20 right) => left.Equals(right);

    public static bool operator !=(Hash20 left, Hash20 right) => !left.Equals(right);
}
