namespace Murder.Core.Storage;

/// <summary>What an extraction put in place.</summary>
public sealed record ArtifactExtractionResult
{
    /// <summary>The directory that now holds the release.</summary>
    public required string DestinationPath { get; init; }

    /// <summary>Regular files written.</summary>
    public required int Files { get; init; }

    /// <summary>Directories created (explicit and implied).</summary>
    public required int Directories { get; init; }

    /// <summary>Symbolic links created.</summary>
    public required int SymbolicLinks { get; init; }

    /// <summary>Hard links, extracted as copies of the file they name.</summary>
    public required int HardLinks { get; init; }

    /// <summary>File bytes written (hard-link copies included).</summary>
    public required long BytesWritten { get; init; }

    /// <summary>The artifact's (compressed) size.</summary>
    public required long ArchiveBytes { get; init; }

    /// <summary>Whether a non-empty previous release was replaced.</summary>
    public required bool ReplacedExisting { get; init; }
}
