namespace Murder.Core.Packaging;

/// <summary>A validated request: every path resolved, nothing written yet.</summary>
public sealed record TorrentCreationPlan
{
    /// <summary>The validated request.</summary>
    public required TorrentCreationRequest Request { get; init; }

    /// <summary>The full path of the directory or file to package.</summary>
    public required string SourcePath { get; init; }

    /// <summary>Whether the source is a single file used as the artifact as it is.</summary>
    public required bool SourceIsFile { get; init; }

    /// <summary>OUT/TAG.tgz.</summary>
    public required string ArtifactPath { get; init; }

    /// <summary>OUT/TAG.tgz.torrent.</summary>
    public required string TorrentPath { get; init; }

    /// <summary>The normalized announce URL.</summary>
    public required string AnnounceUrl { get; init; }
}
