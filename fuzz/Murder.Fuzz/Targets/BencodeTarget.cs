using System;
using Murder.Core.BEncoding;

namespace Murder.Fuzz.Targets;

/// <summary>
/// BencodeReader.Decode: throws only BencodeException (with an offset inside the input), and
/// whatever it accepts is canonical, so it encodes back to exactly the input bytes.
/// </summary>
internal static class BencodeTarget
{
    private static readonly BencodeLimits Tight = new() { MaxDepth = 4, MaxTokens = 64, MaxStringLength = 32 };

    public static void Run(byte[] data)
    {
        BValue value;
        try
        {
            value = BencodeReader.Decode(data);
        }
        catch (BencodeException error)
        {
            FuzzInvariantException.Check(error.Offset >= 0 && error.Offset <= data.Length, $"error offset {error.Offset} is outside the {data.Length}-byte input");
            DecodeWithTightLimits(data);
            return;
        }

        byte[] encoded = BencodeWriter.Encode(value);
        FuzzInvariantException.Check(encoded.AsSpan().SequenceEqual(data), "a decoded value does not encode back to the input bytes");
        if (value is BDictionary dictionary)
        {
            FuzzInvariantException.Check(dictionary.RawEncoding.Span.SequenceEqual(data), "the top dictionary's RawEncoding is not the input");
        }

        DecodeWithTightLimits(data);
    }

    private static void DecodeWithTightLimits(byte[] data)
    {
        try
        {
            BValue value = BencodeReader.Decode(data, Tight);
            FuzzInvariantException.Check(BencodeWriter.Encode(value).AsSpan().SequenceEqual(data), "a value decoded under tight limits does not encode back to the input");
        }
        catch (BencodeException)
        {
        }
    }
}
