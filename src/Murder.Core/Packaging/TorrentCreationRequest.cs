namespace Murder.Core.Packaging;

/// <summary>What New-MurderTorrent was asked to do, before validation.</summary>
public sealed record TorrentCreationRequest
{
    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>A directory to pack, or a file to use as the artifact as it is.</summary>
    public required string SourcePath { get; init; }

    /// <summary>The tracker as the user gave it (URL or host:port).</summary>
    public required string Tracker { get; init; }

    /// <summary>Where TAG.tgz and TAG.tgz.torrent go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Bytes per piece, or null to choose from the size.</summary>
    public int? PieceLength { get; init; }

    /// <summary>How hard to compress.</summary>
    public ArtifactCompression Compression { get; init; } = ArtifactCompression.Fastest;

    /// <summary>Replace an existing artifact and torrent for the tag.</summary>
    public bool Force { get; init; }

    /// <summary>Mark the torrent private (BEP 27): clients find peers only through the tracker. On by default.</summary>
    public bool Private { get; init; } = true;

    /// <summary>When set, the announce URL carries the torrent's swarm key (see Tracker.SwarmKey).</summary>
    public byte[]? SwarmSecret { get; init; }

    /// <summary>Recorded as "created by".</summary>
    public string CreatedBy { get; init; } = "Murder";
}
