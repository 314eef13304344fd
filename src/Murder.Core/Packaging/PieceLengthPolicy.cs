using System;
using System.Numerics;

namespace Murder.Core.Packaging;

/// <summary>
/// Chooses the piece length. More pieces keep a swarm's pipeline full (the finish time is about
/// F/C x (1 + log2(N)/M) for M pieces) but each costs a hash and a 'have' round; about 2,048 pieces
/// balances the two. Murder's fixed 256 KiB broke down on multi-gigabyte artifacts.
/// </summary>
public static class PieceLengthPolicy
{
    /// <summary>The smallest piece length chosen automatically.</summary>
    public const int MinimumAutomatic = 64 * 1024;

    /// <summary>The largest piece length chosen automatically.</summary>
    public const int MaximumAutomatic = 16 * 1024 * 1024;

    /// <summary>The piece count the policy aims not to exceed.</summary>
    public const int TargetPieceCount = 2048;

    /// <summary>The smallest piece length a user may ask for: one 16 KiB block.</summary>
    public const int MinimumExplicit = 16 * 1024;

    /// <summary>The largest piece length a user may ask for.</summary>
    public const int MaximumExplicit = 64 * 1024 * 1024;

    /// <summary>The smallest power of two of at least 64 KiB giving at most 2,048 pieces, capped at 16 MiB.</summary>
    public static int Choose(long artifactSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(artifactSize);
        long wanted = (artifactSize + TargetPieceCount - 1) / TargetPieceCount;
        long length = Math.Max(MinimumAutomatic, (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, wanted)));
        return (int)Math.Min(length, MaximumAutomatic);
    }

    /// <summary>Returns null when a user-given piece length is acceptable, or what is wrong.</summary>
    public static string? Check(long pieceLength)
    {
        if (pieceLength < MinimumExplicit || pieceLength > MaximumExplicit)
        {
            return $"it must be between {MinimumExplicit} (16 KiB) and {MaximumExplicit} (64 MiB) bytes";
        }

        return BitOperations.IsPow2(pieceLength) ? null : "it must be a power of two, such as 262144 (256 KiB)";
    }
}
