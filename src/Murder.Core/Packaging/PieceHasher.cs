using System;
using System.Security.Cryptography;

namespace Murder.Core.Packaging;

/// <summary>
/// Computes SHA-1 piece hashes of a byte stream as it passes, so the artifact is hashed in the same
/// pass that writes it.
/// </summary>
public sealed class PieceHasher : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private readonly int _pieceLength;
    private byte[] _hashes = new byte[20 * 64];
    private int _pieceCount;
    private int _inPiece;

    /// <summary>Creates a hasher for the given piece length.</summary>
    public PieceHasher(int pieceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceLength);
        _pieceLength = pieceLength;
    }

    /// <summary>Bytes seen so far.</summary>
    public long Length { get; private set; }

    /// <summary>Feeds the next bytes.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        while (!data.IsEmpty)
        {
            int take = Math.Min(data.Length, _pieceLength - _inPiece);
            _hash.AppendData(data[..take]);
            _inPiece += take;
            data = data[take..];
            if (_inPiece == _pieceLength)
            {
                FinishPiece();
            }
        }
    }

    /// <summary>Finishes the last, possibly short, piece and returns all hashes concatenated.</summary>
    public byte[] Complete()
    {
        if (_inPiece > 0)
        {
            FinishPiece();
        }

        return _hashes.AsSpan(0, _pieceCount * 20).ToArray();
    }

    /// <inheritdoc/>
    public void Dispose() => _hash.Dispose();

    private void FinishPiece()
    {
        if ((_pieceCount + 1) * 20 > _hashes.Length)
        {
            Array.Resize(ref _hashes, _hashes.Length * 2);
        }

        _hash.GetHashAndReset(_hashes.AsSpan(_pieceCount * 20, 20));
        _pieceCount++;
        _inPiece = 0;
    }
}
