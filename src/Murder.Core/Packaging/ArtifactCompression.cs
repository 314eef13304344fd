namespace Murder.Core.Packaging;

/// <summary>How hard to compress the .tgz (names match PowerShell users' expectations and System.IO.Compression).</summary>
public enum ArtifactCompression
{
    /// <summary>Fast gzip: the default; packing keeps up with a fast network.</summary>
    Fastest,
    /// <summary>Smaller artifacts, several times slower to pack.</summary>
    Optimal,
    /// <summary>A gzip container with stored (uncompressed) data: for data that does not compress.</summary>
    NoCompression,
    /// <summary>The smallest artifacts, slowest to pack.</summary>
    SmallestSize,
}
