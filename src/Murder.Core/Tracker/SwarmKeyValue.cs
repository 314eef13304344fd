using System;
using System.Buffers.Binary;

namespace Murder.Core.Tracker;

/// <summary>A parsed murder_key= value: 16 bytes held without allocation.</summary>
internal readonly struct SwarmKeyValue
{
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly byte _state; // 0 absent, 1 present, 2 malformed

    private SwarmKeyValue(ulong high, ulong low, byte state)
    {
        _high = high;
        _low = low;
        _state = state;
    }

    public static SwarmKeyValue Invalid => new(0, 0, 2);

    /// <summary>Whether a well-formed key was given.</summary>
    public bool IsPresent => _state == 1;

    /// <summary>Parses 32 hexadecimal digits (percent-encoding is not needed for hex).</summary>
    public static bool TryParse(ReadOnlySpan<byte> hex, out SwarmKeyValue value)
    {
        value = default;
        if (hex.Length != SwarmKey.Length * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[SwarmKey.Length];
        for (int index = 0; index < bytes.Length; index++)
        {
            int high = Nibble(hex[index * 2]);
            int low = Nibble(hex[(index * 2) + 1]);
            if (high < 0 || low < 0)
            {
                return false;
            }

            bytes[index] = (byte)((high << 4) | low);
        }

        value = new SwarmKeyValue(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), 1);
        return true;
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
    }

    private static int Nibble(byte value) => value switch
    {
        >= (byte)'0' and <= (byte)'9' => value - '0',
        >= (byte)'a' and <= (byte)'f' => value - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => value - 'A' + 10,
        _ => -1,
    };
}
