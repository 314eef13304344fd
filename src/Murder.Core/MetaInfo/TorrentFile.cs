using System.Collections.Generic;

namespace Murder.Core.MetaInfo;

/// <summary>One file of a torrent: its path below the torrent's name, its length and its offset in the data.</summary>
public sealed class TorrentFile
{
    /// <summary>Creates a file entry.</summary>
    public TorrentFile(IReadOnlyList<string> pathComponents, long length, long offset)
    {
        PathComponents = pathComponents;
        Length = length;
        Offset = offset;
    }

    /// <summary>The validated path components.</summary>
    public IReadOnlyList<string> PathComponents { get; }

    /// <summary>The path joined with '/'.</summary>
    public string Path => string.Join('/', PathComponents);

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Where the file starts in the torrent's concatenated data.</summary>
    public long Offset { get; }
}
