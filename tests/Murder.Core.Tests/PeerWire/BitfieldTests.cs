using System;
using System.Buffers;
using System.Collections.Generic;
using Murder.Core.PeerWire;
using Xunit;

namespace Murder.Core.Tests.PeerWire;

public sealed class BitfieldTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    public void SetGetCount_AndWireRoundTrip(int length)
    {
        var bitfield = new Bitfield(length);
        Assert.True(bitfield.NoneSet);
        Assert.Equal(0, bitfield.FirstMissing());
        var expected = new SortedSet<int>();
        var random = new Random(length);
        for (int round = 0; round < length / 2 + 1; round++)
        {
            int index = random.Next(length);
            Assert.Equal(expected.Add(index), bitfield.Set(index));
        }

        Assert.Equal(expected.Count, bitfield.CountSet);
        Assert.Equal(length - expected.Count, bitfield.CountMissing);
        var seen = new List<int>();
        foreach (int index in bitfield)
        {
            seen.Add(index);
        }

        Assert.Equal(expected, seen);
        byte[] wire = bitfield.ToBytes();
        Assert.Equal((length + 7) / 8, wire.Length);
        for (int index = 0; index < length; index++)
        {
            // BEP 3: piece 0 is the high bit of the first byte.
            bool onWire = (wire[index / 8] & (0x80 >> (index % 8))) != 0;
            Assert.Equal(expected.Contains(index), onWire);
            Assert.Equal(expected.Contains(index), bitfield[index]);
        }

        Bitfield copy = Bitfield.FromBytes(wire, length);
        Assert.Equal(bitfield.CountSet, copy.CountSet);
        Assert.Equal(wire, copy.ToBytes());
        var segmented = new Bitfield(length);
        segmented.ReadFrom(SegmentedSequence.OneBytePerSegment(wire));
        Assert.Equal(wire, segmented.ToBytes());
    }

    [Fact]
    public void FirstMissing_NextSet_AllSet()
    {
        var bitfield = new Bitfield(130);
        bitfield.SetAll();
        Assert.True(bitfield.AllSet);
        Assert.Equal(-1, bitfield.FirstMissing());
        Assert.Equal(130, bitfield.CountSet);
        Assert.Equal(0xC0, bitfield.ToBytes()[^1]); // spare bits stay clear
        Assert.True(bitfield.Clear(129));
        Assert.False(bitfield.Clear(129));
        Assert.Equal(129, bitfield.FirstMissing());
        bitfield.Clear(64);
        Assert.Equal(64, bitfield.FirstMissing());
        Assert.Equal(129, bitfield.NextMissing(65));
        Assert.Equal(65, bitfield.NextSet(64));
        Assert.Equal(-1, bitfield.NextSet(129));
        Assert.Equal(-1, bitfield.NextSet(500));
        bitfield.ClearAll();
        Assert.True(bitfield.NoneSet);
        Assert.Equal(-1, bitfield.NextSet());
    }

    [Fact]
    public void NextSetInBoth_finds_common_bits_across_words()
    {
        var left = new Bitfield(200);
        var right = new Bitfield(200);
        foreach (int index in new[] { 3, 64, 70, 130, 199 })
        {
            left.Set(index);
        }

        foreach (int index in new[] { 2, 70, 128, 130, 199 })
        {
            right.Set(index);
        }

        Assert.Equal(70, left.NextSetInBoth(right, 0));
        Assert.Equal(70, left.NextSetInBoth(right, 70));
        Assert.Equal(130, left.NextSetInBoth(right, 71));
        Assert.Equal(199, left.NextSetInBoth(right, 131));
        Assert.Equal(-1, left.NextSetInBoth(right, 200));
        Assert.Equal(-1, left.NextSetInBoth(new Bitfield(200), 0));
        Assert.Throws<ArgumentException>(() => left.NextSetInBoth(new Bitfield(199), 0));
    }

    [Fact]
    public void HasAnyMissingFrom_TellsInterest()
    {
        var mine = new Bitfield(70);
        var theirs = new Bitfield(70);
        Assert.False(theirs.HasAnyMissingFrom(mine));
        theirs.Set(69);
        Assert.True(theirs.HasAnyMissingFrom(mine));
        mine.Set(69);
        Assert.False(theirs.HasAnyMissingFrom(mine));
        var copy = new Bitfield(70);
        copy.CopyFrom(theirs);
        Assert.True(copy[69]);
        Assert.Equal(1, copy.CountSet);
        Assert.Throws<ArgumentException>(() => copy.CopyFrom(new Bitfield(71)));
    }

    [Fact]
    public void OutOfRangeIndex_IsAnArgumentError()
    {
        var bitfield = new Bitfield(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => bitfield.Set(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => bitfield.Get(-1));
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(10, 3)]
    [InlineData(16, 3)]
    [InlineData(16, 0)]
    public void WrongSize_IsRejected(int length, int bytes)
    {
        PeerProtocolException error = Assert.Throws<PeerProtocolException>(() => Bitfield.FromBytes(new byte[bytes], length));
        Assert.Equal(PeerProtocolError.BitfieldWrongSize, error.Reason);
    }

    [Theory]
    [InlineData(10, "0020")] // piece 10 of 10 pieces
    [InlineData(10, "FF01")]
    [InlineData(1, "40")]
    public void SpareBitsSet_AreRejected(int length, string hex)
    {
        byte[] wire = Convert.FromHexString(hex);
        PeerProtocolException error = Assert.Throws<PeerProtocolException>(() => Bitfield.FromBytes(wire, length));
        Assert.Equal(PeerProtocolError.BitfieldSpareBitsSet, error.Reason);
        var multiSegment = new Bitfield(length);
        Assert.Throws<PeerProtocolException>(() => multiSegment.ReadFrom(SegmentedSequence.OneBytePerSegment(wire)));
        Assert.True(multiSegment.NoneSet);
    }

    [Fact]
    public void EmptyBitfield_IsAllSetAndHasNoBytes()
    {
        var bitfield = new Bitfield(0);
        Assert.True(bitfield.AllSet);
        Assert.Empty(bitfield.ToBytes());
        bitfield.ReadFrom(ReadOnlySequence<byte>.Empty);
    }
}
