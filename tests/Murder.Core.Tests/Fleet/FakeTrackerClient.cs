using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker.Client;

namespace Murder.Core.Tests.Fleet;

/// <summary>A tracker in memory: scrapes answer from <see cref="Torrents"/>, announces from <see cref="OnAnnounce"/>.</summary>
internal sealed class FakeTrackerClient : ITrackerClient
{
    public List<TrackerTorrentStatus> Torrents { get; } = new();

    public Func<TrackerAnnounceRequest, TrackerAnnounceResponse>? OnAnnounce { get; set; }

    public Exception? ScrapeError { get; set; }

    public Action<int>? BeforeScrape { get; set; }

    public int Scrapes { get; private set; }

    public List<TrackerAnnounceRequest> Announces { get; } = new();

    public static TrackerTorrentStatus Status(string infoHash, string? name, long seeders) =>
        new() { Tracker = "http://tracker/announce", InfoHash = infoHash, Name = name, Seeders = seeders };

    public Task<TrackerAnnounceResponse> AnnounceAsync(TrackerAnnounceRequest request, CancellationToken cancellationToken)
    {
        Announces.Add(request);
        return Task.FromResult(OnAnnounce?.Invoke(request) ?? new TrackerAnnounceResponse { Interval = TimeSpan.FromSeconds(15), Peers = Array.Empty<System.Net.IPEndPoint>() });
    }

    public Task<IReadOnlyList<TrackerTorrentStatus>> ScrapeAsync(Uri announceUrl, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken)
    {
        BeforeScrape?.Invoke(++Scrapes);
        if (ScrapeError is not null)
        {
            throw ScrapeError;
        }

        IReadOnlyList<TrackerTorrentStatus> result = infoHashes.Count == 0
            ? Torrents.ToList()
            : Torrents.Where(t => infoHashes.Any(h => h.ToHex() == t.InfoHash)).ToList();
        return Task.FromResult(result);
    }
}
