using System;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.Swarm;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;

namespace Murder.Core.Deployment;

/// <summary>
/// Passes a peer's announces through and watches for the tracker refusing the torrent as
/// unregistered. The swarm retries every failed announce (a restarted tracker is found again), so
/// a refusal that lasts past <see cref="Patience"/> becomes the run's TorrentNotRegistered error
/// instead of a peer that waits for a stall: a registration that lands a moment after the peer
/// started still counts.
/// </summary>
public sealed class RefusalWatchingTracker : ISwarmTracker
{
    /// <summary>How long refusals must last before the run gives up.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly ISwarmTracker _inner;
    private readonly TorrentMetaInfo _torrent;
    private readonly string _torrentPath;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private long? _firstRefusal;
    private MurderException? _refused;

    /// <summary>Watches <paramref name="inner"/>'s answers for <paramref name="torrent"/> (read from <paramref name="torrentPath"/>).</summary>
    public RefusalWatchingTracker(ISwarmTracker inner, TorrentMetaInfo torrent, string torrentPath, TimeProvider? time = null)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _torrent = torrent ?? throw new ArgumentNullException(nameof(torrent));
        _torrentPath = torrentPath;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The TorrentNotRegistered error once refusals lasted past <see cref="Patience"/>; null until then.</summary>
    public MurderException? Refused
    {
        get
        {
            lock (_gate)
            {
                return _refused;
            }
        }
    }

    /// <inheritdoc/>
    public async Task<SwarmAnnounceResponse> AnnounceAsync(SwarmAnnounce announce, CancellationToken cancellation)
    {
        try
        {
            SwarmAnnounceResponse response = await _inner.AnnounceAsync(announce, cancellation).ConfigureAwait(false);
            lock (_gate)
            {
                _firstRefusal = null;
            }

            return response;
        }
        catch (MurderException error) when (TrackerRefusal.IsUnregistered(error))
        {
            lock (_gate)
            {
                long now = _time.GetTimestamp();
                _firstRefusal ??= now;
                if (_refused is null && _time.GetElapsedTime(_firstRefusal.Value, now) >= Patience)
                {
                    _refused = Uri.TryCreate(_torrent.Announce, UriKind.Absolute, out Uri? url)
                        ? AnnounceProbe.NotRegistered(_torrent, _torrentPath, url, error)
                        : new MurderException("TorrentNotRegistered", MurderErrorCategory.InvalidOperation, error.Message, error);
                }
            }

            throw;
        }
    }
}
