using System;

namespace Murder.Core.MetaInfo;

/// <summary>What goes into a single-file .torrent.</summary>
public sealed record SingleFileTorrent
{
    /// <summary>The file name peers save the data under.</summary>
    public required string Name { get; init; }

    /// <summary>The file's length in bytes.</summary>
    public required long Length { get; init; }

    /// <summary>Bytes per piece.</summary>
    public required int PieceLength { get; init; }

    /// <summary>Concatenated SHA-1 piece hashes.</summary>
    public required ReadOnlyMemory<byte> PieceHashes { get; init; }

    /// <summary>The tracker's announce URL.</summary>
    public string? Announce { get; init; }

    /// <summary>BEP 27: peers use only the tracker.</summary>
    public bool IsPrivate { get; init; }

    /// <summary>The creating program.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>The creation time.</summary>
    public DateTimeOffset? CreationDate { get; init; }

    /// <summary>A free-text comment.</summary>
    public string? Comment { get; init; }
}
