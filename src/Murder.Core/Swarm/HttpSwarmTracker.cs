using System;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;

namespace Murder.Core.Swarm;

/// <summary>The swarm's tracker over HTTP: the torrent's announce URL and Murder's tracker client.</summary>
public sealed class HttpSwarmTracker : ISwarmTracker, IDisposable
{
    private readonly HttpTrackerClient _client;

    /// <summary>Announces to the given URL.</summary>
    public HttpSwarmTracker(Uri announceUrl, TimeSpan? timeout = null)
    {
        AnnounceUrl = announceUrl;
        _client = new HttpTrackerClient(timeout ?? TimeSpan.FromSeconds(10));
    }

    /// <summary>The announce URL.</summary>
    public Uri AnnounceUrl { get; }

    /// <summary>The tracker a torrent names (its announce URL, else the first of its announce-list).</summary>
    public static HttpSwarmTracker For(TorrentMetaInfo torrent)
    {
        string? url = torrent.Announce;
        if (string.IsNullOrEmpty(url) && torrent.AnnounceList.Count > 0 && torrent.AnnounceList[0].Count > 0)
        {
            url = torrent.AnnounceList[0][0];
        }

        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new MurderException("NoTracker", MurderErrorCategory.InvalidData, $"The torrent '{torrent.Name}' names no HTTP tracker ({url ?? "none"}). Make it with New-MurderTorrent -Tracker HOST:PORT.");
        }

        return new HttpSwarmTracker(uri);
    }

    /// <inheritdoc/>
    public async Task<SwarmAnnounceResponse> AnnounceAsync(SwarmAnnounce announce, CancellationToken cancellation)
    {
        TrackerAnnounceResponse response = await _client.AnnounceAsync(ToTrackerRequest(AnnounceUrl, announce), cancellation).ConfigureAwait(false);
        return new SwarmAnnounceResponse(response.Interval, response.Peers);
    }

    /// <summary>The tracker client's request for a swarm's announce (the simulator sends the same to its tracker).</summary>
    internal static TrackerAnnounceRequest ToTrackerRequest(Uri announceUrl, SwarmAnnounce announce) => new()
    {
        AnnounceUrl = announceUrl,
        InfoHash = announce.InfoHash,
        PeerId = announce.PeerId,
        Port = announce.Port,
        Uploaded = announce.Uploaded,
        Downloaded = announce.Downloaded,
        Left = announce.Left,
        NumWant = announce.NumWant,
        Event = announce.Event switch
        {
            SwarmAnnounceEvent.Started => TrackerEvent.Started,
            SwarmAnnounceEvent.Completed => TrackerEvent.Completed,
            SwarmAnnounceEvent.Stopped => TrackerEvent.Stopped,
            _ => TrackerEvent.None,
        },
    };

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}
