namespace Murder.Core.Tracker.Client;

/// <summary>One torrent's swarm as a tracker's scrape reports it: what an operator watches during a deploy.</summary>
public sealed record TrackerTorrentStatus
{
    /// <summary>The tracker's announce URL.</summary>
    public required string Tracker { get; init; }

    /// <summary>This torrent on the tracker's live page.</summary>
    public string? PageUrl { get; init; }

    /// <summary>The info-hash, 40 hexadecimal digits.</summary>
    public required string InfoHash { get; init; }

    /// <summary>The torrent's name, when the tracker knows it.</summary>
    public string? Name { get; init; }

    /// <summary>Peers that have the whole torrent.</summary>
    public long Seeders { get; init; }

    /// <summary>Peers still downloading.</summary>
    public long Leechers { get; init; }

    /// <summary>Downloads completed so far.</summary>
    public long Completed { get; init; }
}
