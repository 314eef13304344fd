using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Murder.Core.Tracker;

/// <summary>A peer's IPv4 or IPv6 address as a value type (no IPAddress per peer).</summary>
internal readonly struct PeerAddress : IEquatable<PeerAddress>
{
    private readonly ulong _high;
    private readonly ulong _low;

    private PeerAddress(ulong high, ulong low, bool isV6)
    {
        _high = high;
        _low = low;
        IsV6 = isV6;
    }

    public bool IsV6 { get; }

    /// <summary>4 for IPv4, 16 for IPv6.</summary>
    public int ByteLength => IsV6 ? 16 : 4;

    /// <summary>Converts an address; IPv4-mapped IPv6 addresses (dual-mode sockets) become IPv4.</summary>
    public static PeerAddress From(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return new PeerAddress(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), isV6: false);
        }

        address.TryWriteBytes(bytes, out _);
        return new PeerAddress(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), isV6: true);
    }

    /// <summary>Reads an address written by <see cref="Write"/>: 4 bytes for IPv4, 16 for IPv6.</summary>
    public static PeerAddress Read(ReadOnlySpan<byte> bytes) => bytes.Length switch
    {
        4 => new PeerAddress(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), isV6: false),
        16 => new PeerAddress(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), isV6: true),
        _ => throw new ArgumentException("An address is 4 or 16 bytes.", nameof(bytes)),
    };

    /// <summary>Writes the address in network order (4 or 16 bytes).</summary>
    public void Write(Span<byte> destination)
    {
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
        }
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        Write(bytes);
        return new IPAddress(bytes[..ByteLength]);
    }

    public bool Equals(PeerAddress other) => _high == other._high && _low == other._low && IsV6 == other.IsV6;

    public override bool Equals(object? obj) => obj is PeerAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low, IsV6);

    public static bool operator ==(PeerAddress left, PeerAddress right) => left.Equals(right);

    public static bool operator !=(PeerAddress left, PeerAddress right) => !left.Equals(right);
}
