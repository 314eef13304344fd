using System;

namespace Murder.Core.BEncoding;

/// <summary>Malformed or over-limit bencode. <see cref="Offset"/> is the byte where decoding stopped.</summary>
public sealed class BencodeException : FormatException
{
    /// <summary>Creates an error at a byte offset.</summary>
    public BencodeException(string reason, long offset)
        : base($"Invalid bencode at byte {offset}: {reason}.")
    {
        Reason = reason;
        Offset = offset;
    }

    /// <summary>What was wrong, without the position.</summary>
    public string Reason { get; }

    /// <summary>The byte offset in the input.</summary>
    public long Offset { get; }
}
