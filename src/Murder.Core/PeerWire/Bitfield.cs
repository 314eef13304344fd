using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Murder.Core.PeerWire;

/// <summary>
/// A compact set of piece indexes, laid out so that its wire form (BEP 3: piece 0 is the high
/// bit of the first byte) is a plain big-endian copy of its words. Counts are kept as bits
/// change, so <see cref="CountSet"/> and <see cref="AllSet"/> are O(1). Not thread-safe.
/// </summary>
public sealed class Bitfield
{
    private readonly ulong[] _words;

    /// <summary>Creates an empty bitfield of <paramref name="length"/> pieces.</summary>
    public Bitfield(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _words = new ulong[(length + 63) / 64];
    }

    /// <summary>How many pieces the bitfield covers.</summary>
    public int Length { get; }

    /// <summary>How many pieces are set.</summary>
    public int CountSet { get; private set; }

    /// <summary>How many pieces are not set.</summary>
    public int CountMissing => Length - CountSet;

    /// <summary>Whether every piece is set (true for an empty bitfield).</summary>
    public bool AllSet => CountSet == Length;

    /// <summary>Whether no piece is set.</summary>
    public bool NoneSet => CountSet == 0;

    /// <summary>The bytes of the wire form.</summary>
    public int ByteLength => PeerWireLimits.BitfieldByteCount(Length);

    /// <summary>Whether piece <paramref name="index"/> is set.</summary>
    public bool this[int index]
    {
        get => Get(index);
        set
        {
            if (value)
            {
                Set(index);
            }
            else
            {
                Clear(index);
            }
        }
    }

    /// <summary>Whether piece <paramref name="index"/> is set.</summary>
    public bool Get(int index)
    {
        CheckIndex(index);
        return (_words[index >> 6] & Mask(index)) != 0;
    }

    /// <summary>Sets a piece; returns true if it was not set before.</summary>
    public bool Set(int index)
    {
        CheckIndex(index);
        ref ulong word = ref _words[index >> 6];
        ulong mask = Mask(index);
        if ((word & mask) != 0)
        {
            return false;
        }

        word |= mask;
        CountSet++;
        return true;
    }

    /// <summary>Clears a piece; returns true if it was set before.</summary>
    public bool Clear(int index)
    {
        CheckIndex(index);
        ref ulong word = ref _words[index >> 6];
        ulong mask = Mask(index);
        if ((word & mask) == 0)
        {
            return false;
        }

        word &= ~mask;
        CountSet--;
        return true;
    }

    /// <summary>Sets every piece.</summary>
    public void SetAll()
    {
        Array.Fill(_words, ulong.MaxValue);
        ClearSpareBits();
        CountSet = Length;
    }

    /// <summary>Clears every piece.</summary>
    public void ClearAll()
    {
        Array.Clear(_words);
        CountSet = 0;
    }

    /// <summary>The first piece at or after <paramref name="start"/> that is set, or -1.</summary>
    public int NextSet(int start = 0) => Scan(start, invert: false);

    /// <summary>The first piece at or after <paramref name="start"/> that is not set, or -1.</summary>
    public int NextMissing(int start = 0) => Scan(start, invert: true);

    /// <summary>The first piece that is not set, or -1 when all are.</summary>
    public int FirstMissing() => Scan(0, invert: true);

    /// <summary>Whether this has a piece that <paramref name="other"/> lacks (is a peer with this bitfield interesting to one with <paramref name="other"/>?).</summary>
    public bool HasAnyMissingFrom(Bitfield other)
    {
        CheckSameLength(other);
        for (int word = 0; word < _words.Length; word++)
        {
            if ((_words[word] & ~other._words[word]) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Makes this a copy of <paramref name="other"/> (same length).</summary>
    public void CopyFrom(Bitfield other)
    {
        CheckSameLength(other);
        other._words.CopyTo(_words, 0);
        CountSet = other.CountSet;
    }

    /// <summary>The set pieces in ascending order, without allocating.</summary>
    public SetIndexEnumerator GetEnumerator() => new(this);

    /// <summary>Writes the wire form into <paramref name="destination"/>; returns <see cref="ByteLength"/>.</summary>
    public int WriteTo(Span<byte> destination)
    {
        int byteLength = ByteLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, byteLength, nameof(destination));
        int fullWords = byteLength / 8;
        for (int word = 0; word < fullWords; word++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(word * 8, 8), _words[word]);
        }

        int rest = byteLength - (fullWords * 8);
        if (rest > 0)
        {
            Span<byte> last = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(last, _words[fullWords]);
            last[..rest].CopyTo(destination.Slice(fullWords * 8, rest));
        }

        return byteLength;
    }

    /// <summary>The wire form as a new array.</summary>
    public byte[] ToBytes()
    {
        byte[] bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>
    /// Replaces the contents with a wire bitfield, which must be exactly <see cref="ByteLength"/>
    /// bytes with the spare bits after the last piece clear.
    /// </summary>
    /// <exception cref="PeerProtocolException">The size is wrong or spare bits are set; nothing changes.</exception>
    public void ReadFrom(ReadOnlySequence<byte> wire)
    {
        if (wire.IsSingleSegment)
        {
            ReadFrom(wire.FirstSpan);
            return;
        }

        CheckWireLength(wire.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)wire.Length);
        try
        {
            wire.CopyTo(rented);
            ReadFrom(rented.AsSpan(0, (int)wire.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Replaces the contents with a wire bitfield (see <see cref="ReadFrom(ReadOnlySequence{byte})"/>).</summary>
    /// <exception cref="PeerProtocolException">The size is wrong or spare bits are set; nothing changes.</exception>
    public void ReadFrom(ReadOnlySpan<byte> wire)
    {
        CheckWireLength(wire.Length);
        if (!SpareBitsClear(wire, Length))
        {
            throw new PeerProtocolException(
                PeerProtocolError.BitfieldSpareBitsSet,
                $"The peer's bitfield has bits set after the last piece ({Length - 1}).");
        }

        int fullWords = wire.Length / 8;
        int count = 0;
        for (int word = 0; word < fullWords; word++)
        {
            _words[word] = BinaryPrimitives.ReadUInt64BigEndian(wire.Slice(word * 8, 8));
            count += BitOperations.PopCount(_words[word]);
        }

        int rest = wire.Length - (fullWords * 8);
        if (rest > 0)
        {
            Span<byte> last = stackalloc byte[8];
            last.Clear();
            wire.Slice(fullWords * 8).CopyTo(last);
            _words[fullWords] = BinaryPrimitives.ReadUInt64BigEndian(last);
            count += BitOperations.PopCount(_words[fullWords]);
        }

        CountSet = count;
    }

    /// <summary>Builds a bitfield of <paramref name="length"/> pieces from its wire form.</summary>
    /// <exception cref="PeerProtocolException">The size is wrong or spare bits are set.</exception>
    public static Bitfield FromBytes(ReadOnlySpan<byte> wire, int length)
    {
        var bitfield = new Bitfield(length);
        bitfield.ReadFrom(wire);
        return bitfield;
    }

    /// <summary>Whether the bits after the last of <paramref name="length"/> pieces are all clear.</summary>
    internal static bool SpareBitsClear(ReadOnlySpan<byte> wire, int length)
    {
        long spare = ((long)wire.Length * 8) - length;
        if (spare <= 0 || wire.Length == 0)
        {
            return true;
        }

        if (spare >= 8)
        {
            return false;
        }

        int mask = (1 << (int)spare) - 1;
        return (wire[^1] & mask) == 0;
    }

    private void CheckWireLength(long wireLength)
    {
        if (wireLength != ByteLength)
        {
            throw new PeerProtocolException(
                PeerProtocolError.BitfieldWrongSize,
                $"The peer sent a bitfield of {wireLength} bytes; {Length} pieces need exactly {ByteLength}.");
        }
    }

    /// <summary>The first index at or after <paramref name="start"/> set both here and in <paramref name="other"/>; -1 if none.</summary>
    public int NextSetInBoth(Bitfield other, int start)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckSameLength(other);
        return Scan(start, invert: false, other);
    }

    /// <summary>The first index at or after start whose bit is set (clear when inverted), and set in <paramref name="mask"/> too when given.</summary>
    private int Scan(int start, bool invert, Bitfield? mask = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (start >= Length)
        {
            return -1;
        }

        int wordIndex = start >> 6;
        ulong word = Word(wordIndex) & (ulong.MaxValue >> (start & 63));
        while (true)
        {
            if (word != 0)
            {
                int found = (wordIndex << 6) + BitOperations.LeadingZeroCount(word);
                return found < Length ? found : -1;
            }

            wordIndex++;
            if (wordIndex >= _words.Length)
            {
                return -1;
            }

            word = Word(wordIndex);
        }

        ulong Word(int index) => (invert ? ~_words[index] : _words[index]) & (mask is null ? ulong.MaxValue : mask._words[index]);
    }

    private void ClearSpareBits()
    {
        int used = Length & 63;
        if (used != 0)
        {
            _words[^1] &= ulong.MaxValue << (64 - used);
        }
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"A piece index is from 0 to {Length - 1}.");
        }
    }

    private void CheckSameLength(Bitfield other)
    {
        if (other.Length != Length)
        {
            throw new ArgumentException($"The bitfields cover {Length} and {other.Length} pieces.", nameof(other));
        }
    }

    private static ulong Mask(int index) => 1UL << (63 - (index & 63));

    /// <summary>Enumerates the set pieces of a <see cref="Bitfield"/> in ascending order.</summary>
    public struct SetIndexEnumerator
    {
        private readonly Bitfield _bitfield;
        private int _current;

        internal SetIndexEnumerator(Bitfield bitfield)
        {
            _bitfield = bitfield;
            _current = -1;
        }

        /// <summary>The current piece index.</summary>
        public readonly int Current => _current;

        /// <summary>Moves to the next set piece.</summary>
        public bool MoveNext()
        {
            if (_current + 1 >= _bitfield.Length)
            {
                _current = _bitfield.Length;
                return false;
            }

            _current = _bitfield.NextSet(_current + 1);
            if (_current < 0)
            {
                _current = _bitfield.Length;
                return false;
            }

            return true;
        }
    }
}
