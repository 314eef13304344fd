using System;
using System.Buffers;
using System.Buffers.Text;

namespace Murder.Core.BEncoding;

/// <summary>Writes canonical bencode: dictionary keys are already kept sorted by <see cref="BDictionary"/>.</summary>
public static class BencodeWriter
{
    private const int MaxDepth = 100;

    /// <summary>Encodes a value to a new array.</summary>
    public static byte[] Encode(BValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes a value into a buffer writer.</summary>
    public static void Write(BValue value, IBufferWriter<byte> output) => Write(value, output, 0);

    private static void Write(BValue value, IBufferWriter<byte> output, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"Cannot encode values nested deeper than {MaxDepth} levels.");
        }

        switch (value)
        {
            case BInteger integer:
                WriteByte(output, (byte)'i');
                WriteNumber(output, integer.Value);
                WriteByte(output, (byte)'e');
                break;
            case BString text:
                WriteString(output, text.Bytes.Span);
                break;
            case BList list:
                WriteByte(output, (byte)'l');
                foreach (BValue item in list)
                {
                    Write(item, output, depth + 1);
                }

                WriteByte(output, (byte)'e');
                break;
            case BDictionary dictionary:
                WriteByte(output, (byte)'d');
                foreach (var entry in dictionary)
                {
                    WriteString(output, entry.Key.Bytes.Span);
                    Write(entry.Value, output, depth + 1);
                }

                WriteByte(output, (byte)'e');
                break;
            default:
                throw new ArgumentException($"Unknown bencode value type {value.GetType().Name}.", nameof(value));
        }
    }

    private static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteNumber(output, bytes.Length);
        WriteByte(output, (byte)':');
        output.Write(bytes);
    }

    private static void WriteNumber(IBufferWriter<byte> output, long number)
    {
        Span<byte> span = output.GetSpan(20);
        if (!Utf8Formatter.TryFormat(number, span, out int written))
        {
            throw new InvalidOperationException("Number formatting failed.");
        }

        output.Advance(written);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
