using System;
using Murder.Core.MetaInfo;
using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>The deploy reporter of a peer: the torrent's tracker, the host's name.</summary>
public static class PeerReports
{
    /// <summary>
    /// A reporter to the tracker the torrent names, as <paramref name="host"/> (the machine name
    /// when null); null, with a line to <paramref name="log"/>, when that tracker has no ledger URL.
    /// </summary>
    public static DeployReporter? For(TorrentMetaInfo torrent, string? host, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        try
        {
            using HttpSwarmTracker tracker = HttpSwarmTracker.For(torrent);
            DeployReporter.Endpoint(tracker.AnnounceUrl, "report");
            return new DeployReporter(tracker.AnnounceUrl, torrent.InfoHash, string.IsNullOrWhiteSpace(host) ? Environment.MachineName : host, log: log);
        }
        catch (MurderException error)
        {
            log?.Invoke($"This peer does not report to a deploy ledger: {error.Message}");
            return null;
        }
    }
}
