namespace Murder.Core.Tracker;

/// <summary>A torrent registered with a tracker: what Register-MurderTorrent returns.</summary>
public sealed record TorrentRegistration
{
    /// <summary>The info-hash, 40 hexadecimal digits.</summary>
    public required string InfoHash { get; init; }

    /// <summary>The torrent's name.</summary>
    public required string Name { get; init; }

    /// <summary>The registered copy in the torrent directory.</summary>
    public required string TorrentPath { get; init; }

    /// <summary>The tracker's torrent directory.</summary>
    public required string TorrentDirectory { get; init; }

    /// <summary>The tracker's announce URL, when a running tracker was addressed.</summary>
    public string? Tracker { get; init; }

    /// <summary>Whether the running tracker was seen serving the torrent.</summary>
    public bool Confirmed { get; init; }

    /// <summary>The info-hash of a different torrent of the same file name (an earlier release of the tag) this one replaced, if any.</summary>
    public string? ReplacedInfoHash { get; init; }

    /// <summary>The running tracker's log, when a running tracker was addressed.</summary>
    public string? TrackerLogPath { get; init; }
}
