using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker.Client;

namespace Murder.Core.Fleet;

/// <summary>
/// Before a fleet's peers get a torrent, checks with its tracker that this torrent, by info-hash,
/// is the release being seeded: the tracker lists it with a seeder. A torrent of the same name
/// (TAG.tgz) under another info-hash is an earlier or later release of the tag (StaleTorrent, both
/// info-hashes named); a torrent nobody seeds (TorrentNotSeeded) or the tracker does not serve
/// (TorrentNotRegistered) would only stall every peer. One scrape per deploy, not per host.
/// </summary>
public sealed class ReleaseTorrentCheck
{
    private readonly ITrackerClient _client;
    private readonly TimeSpan _seederWait;
    private readonly TimeSpan _pollInterval;

    /// <summary>
    /// Asks through <paramref name="client"/>; waits up to <paramref name="seederWait"/> for a
    /// seeder that has only just started (its first announce may still be on its way).
    /// </summary>
    public ReleaseTorrentCheck(ITrackerClient client, TimeSpan seederWait, TimeSpan? pollInterval = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _seederWait = seederWait;
        _pollInterval = pollInterval ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>The wait for a seeder's first announce that the cmdlets use.</summary>
    public static readonly TimeSpan DefaultSeederWait = TimeSpan.FromSeconds(20);

    /// <summary>Checks <paramref name="torrentPath"/> with a new HTTP tracker client; see <see cref="CheckAsync"/>.</summary>
    public static ReleaseTorrentCheckResult Run(string torrentPath, CancellationToken cancellationToken)
    {
        TorrentMetaInfo torrent = Deployment.TorrentLoader.Load(torrentPath);
        using var client = new HttpTrackerClient(TimeSpan.FromSeconds(10));
        return new ReleaseTorrentCheck(client, DefaultSeederWait).CheckAsync(torrent, torrentPath, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Returns when the torrent is the one seeded (Verified), or could not be checked (a warning:
    /// the tracker is unreachable from here, or has no scrape). Throws StaleTorrent,
    /// TorrentNotSeeded or TorrentNotRegistered otherwise.
    /// </summary>
    public async Task<ReleaseTorrentCheckResult> CheckAsync(TorrentMetaInfo torrent, string torrentPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        if (!Uri.TryCreate(torrent.Announce, UriKind.Absolute, out Uri? announce) || announce.Scheme is not ("http" or "https"))
        {
            return Unverified(torrent, $"it names no HTTP tracker ({torrent.Announce ?? "none"})");
        }

        string hash = torrent.InfoHash.ToHex();
        string tracker = announce.GetLeftPart(UriPartial.Path);
        var clock = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                TrackerTorrentStatus? ours = (await _client.ScrapeAsync(announce, new[] { torrent.InfoHash }, cancellationToken).ConfigureAwait(false))
                    .FirstOrDefault(s => s.InfoHash == hash);
                if (ours is { Seeders: > 0 })
                {
                    TrackerTorrentStatus? rival = await SeededNamesakeAsync(announce, torrent, cancellationToken).ConfigureAwait(false);
                    return new ReleaseTorrentCheckResult
                    {
                        Verified = true,
                        Seeders = ours.Seeders,
                        Warning = rival is null ? null : $"The tracker {tracker} also has another torrent named '{torrent.Name}' with {rival.Seeders} seeder(s) (info-hash {rival.InfoHash}); the peers get {hash} from '{torrentPath}'. Stop the seeder of the release you do not want (Stop-MurderSeeding).",
                    };
                }

                // Not seeded (yet): is another release of the same name the one the tracker serves?
                TrackerTorrentStatus? namesake = await NamesakeAsync(announce, torrent, requireSeeders: ours is not null, cancellationToken).ConfigureAwait(false);
                if (namesake is not null)
                {
                    throw new MurderException(
                        "StaleTorrent",
                        MurderErrorCategory.InvalidData,
                        $"'{torrentPath}' is not the release the tracker {tracker} serves for '{torrent.Name}': this torrent has info-hash {hash}, the tracker's has {namesake.InfoHash}{(namesake.Seeders > 0 ? $" ({namesake.Seeders} seeder(s))" : string.Empty)}. Nothing was started. Use the torrent of the current release: New-MurderTorrent -ComputerName brings it back to TempPath, Save-MurderTorrent fetches it from the seeder; or give -TorrentPath.")
                    {
                        TargetObject = torrentPath,
                    };
                }

                if (clock.Elapsed >= _seederWait)
                {
                    throw ours is null
                        ? new MurderException("TorrentNotRegistered", MurderErrorCategory.InvalidOperation, $"The tracker {tracker} does not serve '{torrent.Name}' (info-hash {hash}) from '{torrentPath}'. Nothing was started. Register it with the tracker (New-MurderTorrent does when it can; else Register-MurderTorrent -ComputerName TRACKER -Path '{torrentPath}') and seed it (Start-MurderSeeding).") { TargetObject = torrentPath }
                        : new MurderException("TorrentNotSeeded", MurderErrorCategory.InvalidOperation, $"Nobody seeds '{torrent.Name}' (info-hash {hash}) at the tracker {tracker}: it has no seeder after {_seederWait.TotalSeconds:0} s. Nothing was started. Start the seeder first (Start-MurderSeeding -ComputerName SEEDER -Tag TAG).") { TargetObject = torrentPath };
                }

                await Task.Delay(_pollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (MurderException error) when (error.ErrorId is "TrackerUnreachable" or "TrackerHttpError" or "TrackerResponseInvalid" or "TrackerScrapeUnsupported" or "TrackerFailure")
        {
            return Unverified(torrent, error.Message);
        }
    }

    /// <summary>Another torrent of the same name the tracker lists (with seeders, when <paramref name="requireSeeders"/>), most seeded first.</summary>
    private async Task<TrackerTorrentStatus?> NamesakeAsync(Uri announce, TorrentMetaInfo torrent, bool requireSeeders, CancellationToken cancellationToken)
    {
        IReadOnlyList<TrackerTorrentStatus> all = await _client.ScrapeAsync(announce, Array.Empty<InfoHash>(), cancellationToken).ConfigureAwait(false);
        string hash = torrent.InfoHash.ToHex();
        return all.Where(s => s.InfoHash != hash && s.Name == torrent.Name && (!requireSeeders || s.Seeders > 0))
            .OrderByDescending(s => s.Seeders)
            .FirstOrDefault();
    }

    private Task<TrackerTorrentStatus?> SeededNamesakeAsync(Uri announce, TorrentMetaInfo torrent, CancellationToken cancellationToken) =>
        NamesakeAsync(announce, torrent, requireSeeders: true, cancellationToken);

    private static ReleaseTorrentCheckResult Unverified(TorrentMetaInfo torrent, string why) => new()
    {
        Verified = false,
        Warning = $"Could not check with the tracker that '{torrent.Name}' (info-hash {torrent.InfoHash.ToHex()}) is the release being seeded: {why} The peers start anyway.",
    };
}
