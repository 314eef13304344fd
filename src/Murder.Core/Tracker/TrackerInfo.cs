namespace Murder.Core.Tracker;

/// <summary>A running tracker: what Start-MurderTracker returns.</summary>
public sealed record TrackerInfo
{
    /// <summary>The announce URL peers use (it goes into torrents).</summary>
    public required string Url { get; init; }

    /// <summary>The tracker's live page (the deploys, their hosts by stage, failures); /metrics beside it.</summary>
    public string PageUrl => TrackerProcess.PageUrlFor(Url);

    /// <summary>The port.</summary>
    public required int Port { get; init; }

    /// <summary>The address it listens on.</summary>
    public required string BindAddress { get; init; }

    /// <summary>The process that runs it.</summary>
    public required int ProcessId { get; init; }

    /// <summary>Its record in Murder's state directory.</summary>
    public required string StatePath { get; init; }

    /// <summary>Registered torrents are the .torrent files here.</summary>
    public string? TorrentDirectory { get; init; }

    /// <summary>Its log, when it runs in the background.</summary>
    public string? LogPath { get; init; }

    /// <summary>Whether it serves any torrent.</summary>
    public bool Open { get; init; }

    /// <summary>Seconds between announces.</summary>
    public int AnnounceInterval { get; init; }
}
