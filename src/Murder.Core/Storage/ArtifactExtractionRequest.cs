using System;

namespace Murder.Core.Storage;

/// <summary>What <see cref="ArtifactExtractor"/> extracts, where, and within which bounds.</summary>
public sealed record ArtifactExtractionRequest
{
    /// <summary>The .tgz artifact (TAG.tgz).</summary>
    public required string ArchivePath { get; init; }

    /// <summary>The destination directory; the release goes to DESTINATION/TAG unless <see cref="NoTagDirectory"/>.</summary>
    public required string DestinationPath { get; init; }

    /// <summary>The deploy tag: names the directory under <see cref="DestinationPath"/>. Required unless <see cref="NoTagDirectory"/>.</summary>
    public string? Tag { get; init; }

    /// <summary>Extract into <see cref="DestinationPath"/> itself (Murder's no_tag_directory).</summary>
    public bool NoTagDirectory { get; init; }

    /// <summary>Replace a non-empty target (Murder's unsafe_please_delete): the old content is swapped out and deleted.</summary>
    public bool ReplaceExisting { get; init; }

    /// <summary>
    /// The most bytes the archive may expand to (tar stream plus hard-link copies). When null it is
    /// <see cref="MaxExpansionRatio"/> times the artifact's size, and at least
    /// <see cref="ArtifactExtractor.MinimumExpansionLimit"/>.
    /// </summary>
    public long? MaxExtractedBytes { get; init; }

    /// <summary>The largest expansion accepted when <see cref="MaxExtractedBytes"/> is not given.</summary>
    public int MaxExpansionRatio { get; init; } = ArtifactExtractor.DefaultMaxExpansionRatio;

    /// <summary>For tests: reports the free bytes for a directory instead of asking the file system.</summary>
    internal Func<string, long>? FreeSpaceProbe { get; init; }
}
