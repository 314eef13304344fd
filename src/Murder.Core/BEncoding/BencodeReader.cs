using System;
using System.Collections.Generic;

namespace Murder.Core.BEncoding;

/// <summary>
/// A strict, iterative bencode decoder. It accepts only canonical bencode (no leading zeros, no
/// "-0", dictionary keys strictly ascending, nothing after the value) and enforces
/// <see cref="BencodeLimits"/>. Nesting depth is bounded by an explicit stack, not the call stack.
/// Decoded strings point into the input without copying it.
/// </summary>
public static class BencodeReader
{
    private struct Frame
    {
        public BValue Container;
        public int Start;
        public BString? PendingKey;
    }

    /// <summary>Decodes one value that must span the whole input.</summary>
    /// <exception cref="BencodeException">The input is malformed or exceeds a limit.</exception>
    public static BValue Decode(ReadOnlyMemory<byte> input, BencodeLimits? limits = null)
    {
        limits ??= BencodeLimits.Default;
        ReadOnlySpan<byte> data = input.Span;
        var stack = new List<Frame>();
        int position = 0;
        int tokens = 0;

        while (true)
        {
            if (position >= data.Length)
            {
                throw new BencodeException(data.Length == 0 ? "the input is empty" : "the input ends inside a value", position);
            }

            byte current = data[position];
            BValue value;
            if (current == (byte)'e')
            {
                if (stack.Count == 0)
                {
                    throw new BencodeException("'e' without an open list or dictionary", position);
                }

                Frame closed = stack[^1];
                stack.RemoveAt(stack.Count - 1);
                if (closed.PendingKey is not null)
                {
                    throw new BencodeException("a dictionary key has no value", position);
                }

                position++;
                if (closed.Container is BDictionary closedDictionary)
                {
                    closedDictionary.RawEncoding = input.Slice(closed.Start, position - closed.Start);
                }

                value = closed.Container;
            }
            else
            {
                if (++tokens > limits.MaxTokens)
                {
                    throw new BencodeException($"more than {limits.MaxTokens} values", position);
                }

                bool expectingKey = stack.Count > 0 && stack[^1].Container is BDictionary && stack[^1].PendingKey is null;
                if (expectingKey && !IsDigit(current))
                {
                    throw new BencodeException("a dictionary key must be a byte string", position);
                }

                if (current == (byte)'l' || current == (byte)'d')
                {
                    if (stack.Count >= limits.MaxDepth)
                    {
                        throw new BencodeException($"nesting deeper than {limits.MaxDepth} levels", position);
                    }

                    stack.Add(new Frame { Container = current == (byte)'l' ? new BList() : new BDictionary(), Start = position });
                    position++;
                    continue;
                }

                if (current == (byte)'i')
                {
                    value = new BInteger(ReadInteger(data, ref position));
                }
                else if (IsDigit(current))
                {
                    int length = ReadStringLength(data, ref position, limits.MaxStringLength);
                    value = new BString(input.Slice(position, length));
                    position += length;
                }
                else
                {
                    throw new BencodeException($"unexpected byte 0x{current:X2}", position);
                }
            }

            if (stack.Count == 0)
            {
                if (position != data.Length)
                {
                    throw new BencodeException($"{data.Length - position} bytes of trailing data after the value", position);
                }

                return value;
            }

            Frame top = stack[^1];
            if (top.Container is BList list)
            {
                list.Add(value);
            }
            else
            {
                var dictionary = (BDictionary)top.Container;
                if (top.PendingKey is null)
                {
                    var key = (BString)value;
                    BString? last = dictionary.LastKey;
                    if (last is not null)
                    {
                        int order = last.Bytes.Span.SequenceCompareTo(key.Bytes.Span);
                        if (order >= 0)
                        {
                            throw new BencodeException(
                                order == 0 ? $"duplicate dictionary key '{key}'" : $"dictionary key '{key}' is out of order (keys must be sorted)",
                                position - key.Bytes.Length);
                        }
                    }

                    top.PendingKey = key;
                }
                else
                {
                    dictionary.AppendInOrder(top.PendingKey, value);
                    top.PendingKey = null;
                }

                stack[^1] = top;
            }
        }
    }

    private static bool IsDigit(byte value) => value >= (byte)'0' && value <= (byte)'9';

    private static long ReadInteger(ReadOnlySpan<byte> data, ref int position)
    {
        int start = position;
        position++; // 'i'
        bool negative = false;
        if (position < data.Length && data[position] == (byte)'-')
        {
            negative = true;
            position++;
        }

        int digitsStart = position;
        ulong magnitude = 0;
        ulong limit = negative ? 9_223_372_036_854_775_808UL : long.MaxValue;
        while (position < data.Length && IsDigit(data[position]))
        {
            uint digit = (uint)(data[position] - '0');
            if (magnitude > (limit - digit) / 10)
            {
                throw new BencodeException("integer does not fit in 64 bits", start);
            }

            magnitude = (magnitude * 10) + digit;
            position++;
        }

        int digitCount = position - digitsStart;
        if (position >= data.Length)
        {
            throw new BencodeException("integer is not terminated by 'e'", start);
        }

        if (data[position] != (byte)'e')
        {
            throw new BencodeException($"unexpected byte 0x{data[position]:X2} in an integer", position);
        }

        if (digitCount == 0)
        {
            throw new BencodeException("integer has no digits", start);
        }

        if (digitCount > 1 && data[digitsStart] == (byte)'0')
        {
            throw new BencodeException("integer has a leading zero", start);
        }

        if (negative && magnitude == 0)
        {
            throw new BencodeException("negative zero is not a valid integer", start);
        }

        position++; // 'e'
        return negative ? (long)(0UL - magnitude) : (long)magnitude;
    }

    private static int ReadStringLength(ReadOnlySpan<byte> data, ref int position, int maxLength)
    {
        int start = position;
        long length = 0;
        while (position < data.Length && IsDigit(data[position]))
        {
            length = (length * 10) + (data[position] - '0');
            if (length > maxLength)
            {
                throw new BencodeException($"string longer than the limit of {maxLength} bytes", start);
            }

            position++;
        }

        if (position >= data.Length)
        {
            throw new BencodeException("string length is not followed by ':'", start);
        }

        if (data[position] != (byte)':')
        {
            throw new BencodeException($"unexpected byte 0x{data[position]:X2} in a string length", position);
        }

        if (position - start > 1 && data[start] == (byte)'0')
        {
            throw new BencodeException("string length has a leading zero", start);
        }

        position++; // ':'
        if (length > data.Length - position)
        {
            throw new BencodeException($"string of {length} bytes runs past the end of the input", start);
        }

        return (int)length;
    }
}
