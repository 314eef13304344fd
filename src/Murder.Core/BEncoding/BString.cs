using System;
using System.Text;

namespace Murder.Core.BEncoding;

/// <summary>A bencoded byte string (<c>4:spam</c>). Bencode strings are bytes; text is UTF-8 by convention.</summary>
public sealed class BString : BValue
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Wraps bytes without copying them.</summary>
    public BString(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    /// <summary>Encodes text as UTF-8.</summary>
    public BString(string text) => Bytes = Encoding.UTF8.GetBytes(text);

    /// <summary>The raw bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The bytes as text. Invalid UTF-8 throws <see cref="DecoderFallbackException"/>.</summary>
    public string Text => StrictUtf8.GetString(Bytes.Span);

    /// <summary>Whether the bytes are valid UTF-8, and the text if so.</summary>
    public bool TryGetText(out string text)
    {
        try
        {
            text = Text;
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => TryGetText(out string text) ? text : Convert.ToHexString(Bytes.Span);
}
