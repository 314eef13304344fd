using System;
using System.Collections.Generic;

namespace Murder.Core.MetaInfo;

/// <summary>
/// A validated BitTorrent v1 metainfo (.torrent). Build one with <see cref="MetaInfoReader"/>; every
/// instance has passed its checks, so the engine can trust its sizes, counts and paths.
/// </summary>
public sealed class TorrentMetaInfo
{
    internal TorrentMetaInfo(
        InfoHash infoHash,
        string name,
        int pieceLength,
        ReadOnlyMemory<byte> pieceHashes,
        IReadOnlyList<TorrentFile> files,
        bool isMultiFile)
    {
        InfoHash = infoHash;
        Name = name;
        PieceLength = pieceLength;
        PieceHashes = pieceHashes;
        Files = files;
        IsMultiFile = isMultiFile;
        long total = 0;
        foreach (TorrentFile file in files)
        {
            total += file.Length;
        }

        TotalLength = total;
    }

    /// <summary>The SHA-1 of the info dictionary's bytes as they appear in the file.</summary>
    public InfoHash InfoHash { get; }

    /// <summary>The suggested name: the file name (single-file) or the directory name (multi-file).</summary>
    public string Name { get; }

    /// <summary>Bytes per piece (the last piece may be shorter).</summary>
    public int PieceLength { get; }

    /// <summary>The concatenated 20-byte SHA-1 hashes of the pieces.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    /// <summary>How many pieces there are.</summary>
    public int PieceCount => PieceHashes.Length / InfoHash.Length;

    /// <summary>The files, in order; one entry for a single-file torrent.</summary>
    public IReadOnlyList<TorrentFile> Files { get; }

    /// <summary>Whether the torrent has a files list (BEP 3 multi-file mode).</summary>
    public bool IsMultiFile { get; }

    /// <summary>The sum of the file lengths.</summary>
    public long TotalLength { get; }

    /// <summary>The tracker's announce URL, if any.</summary>
    public string? Announce { get; init; }

    /// <summary>Tiers of tracker URLs (BEP 12), if any.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceList { get; init; } = Array.Empty<IReadOnlyList<string>>();

    /// <summary>The BEP 27 private flag: peers come only from the tracker.</summary>
    public bool IsPrivate { get; init; }

    /// <summary>When the torrent was created, if recorded.</summary>
    public DateTimeOffset? CreationDate { get; init; }

    /// <summary>The creating program, if recorded.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>A free-text comment, if any.</summary>
    public string? Comment { get; init; }

    /// <summary>The expected SHA-1 of one piece.</summary>
    public ReadOnlySpan<byte> GetPieceHash(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return PieceHashes.Span.Slice(index * InfoHash.Length, InfoHash.Length);
    }

    /// <summary>The length of one piece: <see cref="PieceLength"/>, or less for the last piece.</summary>
    public int GetPieceSize(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        long start = (long)index * PieceLength;
        return (int)Math.Min(PieceLength, TotalLength - start);
    }
}
