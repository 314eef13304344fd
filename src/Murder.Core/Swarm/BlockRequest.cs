namespace Murder.Core.Swarm;

/// <summary>One 16 KiB (or shorter, at the end of a piece) block: piece index, offset in the piece, length.</summary>
/// <param name="Piece">The piece index.</param>
/// <param name="Begin">The offset in the piece.</param>
/// <param name="Length">The block length.</param>
public readonly record struct BlockRequest(int Piece, int Begin, int Length);
