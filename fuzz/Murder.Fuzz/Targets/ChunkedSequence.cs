using System;
using System.Buffers;
using System.Collections.Generic;

namespace Murder.Fuzz.Targets;

/// <summary>Builds a multi-segment ReadOnlySequence over a buffer, as a pipe hands out received data.</summary>
internal sealed class ChunkedSequence : ReadOnlySequenceSegment<byte>
{
    private ChunkedSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Splits <paramref name="bytes"/> into segments of the given sizes (the last takes the rest).</summary>
    public static ReadOnlySequence<byte> Create(ReadOnlyMemory<byte> bytes, IReadOnlyList<int> sizes)
    {
        if (bytes.IsEmpty)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        int position = 0;
        ChunkedSequence? first = null;
        ChunkedSequence? last = null;
        for (int index = 0; position < bytes.Length; index++)
        {
            int size = index < sizes.Count ? Math.Clamp(sizes[index], 1, bytes.Length - position) : bytes.Length - position;
            var segment = new ChunkedSequence(bytes.Slice(position, size), position);
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.Next = segment;
            }

            last = segment;
            position += size;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }
}
