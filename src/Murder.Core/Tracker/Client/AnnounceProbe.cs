using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker.Client;

/// <summary>
/// Asks a torrent's tracker whether it serves the torrent before a seeder starts, so a refusal is
/// one clear error instead of a seeder that retries for ever. The probe is an announce that leaves
/// at once (event=stopped from a peer the tracker has never seen): it lists nobody and counts
/// nothing, but is refused exactly as the seeder's own announces would be.
/// </summary>
public static class AnnounceProbe
{
    /// <summary>
    /// Returns null when the tracker serves the torrent. Throws TorrentNotRegistered (saying what
    /// to run) when it refuses it as unregistered, and TrackerFailure for any other refusal (a
    /// missing swarm key). Returns the error when the tracker cannot be asked (unreachable, no
    /// HTTP tracker): the caller warns and goes on, a tracker that starts later is found then.
    /// </summary>
    public static async Task<MurderException?> CheckAsync(ITrackerClient client, TorrentMetaInfo torrent, string torrentPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(torrent);
        if (!Uri.TryCreate(torrent.Announce, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
        {
            return new MurderException("NoTracker", MurderErrorCategory.InvalidData, $"'{torrentPath}' names no HTTP tracker ({torrent.Announce ?? "none"}), so it was not asked whether it serves the torrent.");
        }

        try
        {
            await client.AnnounceAsync(
                new TrackerAnnounceRequest
                {
                    AnnounceUrl = url,
                    InfoHash = torrent.InfoHash,
                    PeerId = ProbePeerId(),
                    Port = url.Port,
                    Left = torrent.TotalLength,
                    Event = TrackerEvent.Stopped,
                    NumWant = 0,
                },
                cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (MurderException error) when (TrackerRefusal.IsUnregistered(error))
        {
            throw NotRegistered(torrent, torrentPath, url, error);
        }
        catch (MurderException error) when (error.ErrorId != "TrackerFailure")
        {
            return error;
        }
    }

    /// <summary>The TorrentNotRegistered error: which torrent, which tracker, and the commands that fix it.</summary>
    public static MurderException NotRegistered(TorrentMetaInfo torrent, string torrentPath, Uri announceUrl, Exception? inner = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(announceUrl);
        return new MurderException(
            "TorrentNotRegistered",
            MurderErrorCategory.InvalidOperation,
            $"The tracker {announceUrl.GetLeftPart(UriPartial.Path)} does not serve '{torrent.Name}' (info-hash {torrent.InfoHash.ToHex()}): it serves registered torrents only. Register it, then run this again: {TrackerRefusal.HowToRegister(torrentPath, announceUrl.Port, announceUrl.IdnHost)}.",
            inner)
        {
            TargetObject = torrent.InfoHash.ToHex(),
        };
    }

    private static byte[] ProbePeerId()
    {
        byte[] id = new byte[InfoHash.Length];
        Encoding.ASCII.GetBytes("-MP0000-").CopyTo(id, 0);
        RandomNumberGenerator.Fill(id.AsSpan(8));
        return id;
    }
}
