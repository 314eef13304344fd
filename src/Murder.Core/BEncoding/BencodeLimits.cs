namespace Murder.Core.BEncoding;

/// <summary>
/// Bounds for decoding untrusted bencode. The defaults follow libtorrent's: deep nesting and token
/// floods are errors, never a stack overflow or an unbounded allocation.
/// </summary>
public sealed record BencodeLimits
{
    /// <summary>The defaults: depth 100, 3,000,000 tokens, strings up to 64 MiB.</summary>
    public static BencodeLimits Default { get; } = new();

    /// <summary>The deepest nesting of lists and dictionaries accepted.</summary>
    public int MaxDepth { get; init; } = 100;

    /// <summary>The most values (integers, strings, lists, dictionaries) in one document.</summary>
    public int MaxTokens { get; init; } = 3_000_000;

    /// <summary>The longest byte string accepted.</summary>
    public int MaxStringLength { get; init; } = 64 * 1024 * 1024;
}
