namespace Murder.Core.Tracker;

/// <summary>One torrent's counts at a moment, for the status page and the full scrape.</summary>
internal readonly record struct SwarmSnapshot(Hash20 InfoHash, string? Name, bool Registered, int Seeders, int Leechers, long Completed);
