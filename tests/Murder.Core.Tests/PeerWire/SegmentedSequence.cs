using System;
using System.Buffers;
using System.Collections.Generic;

namespace Murder.Core.Tests.PeerWire;

/// <summary>Builds multi-segment sequences, as a pipe hands them out when bytes arrive in pieces.</summary>
internal sealed class SegmentedSequence : ReadOnlySequenceSegment<byte>
{
    private SegmentedSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Splits <paramref name="bytes"/> into segments of the given sizes (the rest in a last one).</summary>
    public static ReadOnlySequence<byte> Create(byte[] bytes, params int[] sizes)
    {
        var parts = new List<ReadOnlyMemory<byte>>();
        int offset = 0;
        foreach (int size in sizes)
        {
            int take = Math.Min(size, bytes.Length - offset);
            parts.Add(bytes.AsMemory(offset, take));
            offset += take;
        }

        parts.Add(bytes.AsMemory(offset));
        var first = new SegmentedSequence(parts[0], 0);
        SegmentedSequence last = first;
        for (int index = 1; index < parts.Count; index++)
        {
            var next = new SegmentedSequence(parts[index], last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        int[] sizes = new int[Math.Max(0, bytes.Length - 1)];
        Array.Fill(sizes, 1);
        return Create(bytes, sizes);
    }
}
