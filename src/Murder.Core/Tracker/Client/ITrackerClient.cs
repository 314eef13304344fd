using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker.Client;

/// <summary>
/// Talks to a tracker. The swarm engine depends on this interface, so tests can give it an
/// in-memory tracker. Failures are <see cref="MurderException"/>s with stable ErrorIds:
/// TrackerFailure (the tracker refused, with its reason), TrackerUnreachable, TrackerHttpError,
/// TrackerResponseInvalid, TrackerSchemeUnsupported, TrackerScrapeUnsupported.
/// </summary>
public interface ITrackerClient
{
    /// <summary>Announces and returns the interval and peers.</summary>
    Task<TrackerAnnounceResponse> AnnounceAsync(TrackerAnnounceRequest request, CancellationToken cancellationToken);

    /// <summary>Scrapes (BEP 48) the given torrents, or every torrent the tracker lists when none are given.</summary>
    Task<IReadOnlyList<TrackerTorrentStatus>> ScrapeAsync(System.Uri announceUrl, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken);
}
