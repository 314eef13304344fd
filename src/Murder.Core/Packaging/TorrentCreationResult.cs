using System;
using System.Collections.Generic;

namespace Murder.Core.Packaging;

/// <summary>What New-MurderTorrent made.</summary>
public sealed record TorrentCreationResult
{
    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>The full path of TAG.tgz.</summary>
    public required string ArtifactPath { get; init; }

    /// <summary>The full path of TAG.tgz.torrent.</summary>
    public required string TorrentPath { get; init; }

    /// <summary>The info-hash, 40 lower-case hexadecimal digits.</summary>
    public required string InfoHash { get; init; }

    /// <summary>The artifact's size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Bytes per piece.</summary>
    public required int PieceLength { get; init; }

    /// <summary>The number of pieces.</summary>
    public required int PieceCount { get; init; }

    /// <summary>The announce URL written into the torrent.</summary>
    public required string Tracker { get; init; }

    /// <summary>The directory or file packaged.</summary>
    public required string SourcePath { get; init; }

    /// <summary>How many files were packed (1 for a file used as is).</summary>
    public required int FileCount { get; init; }

    /// <summary>The input bytes (the files' total size).</summary>
    public required long SourceBytes { get; init; }

    /// <summary>How long packing, compressing and hashing took.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Special files that were not packed, with the reason.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = Array.Empty<string>();
}
