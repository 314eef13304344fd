using System;

namespace Murder.Core.Tracker;

/// <summary>
/// The tracker's refusal of a torrent it does not serve, as the tracker words it and as clients
/// recognise it. The reason starts with BitTorrent's usual "unregistered torrent" (what other
/// trackers say, and what older Murder trackers said alone) and goes on to say what to do.
/// </summary>
public static class TrackerRefusal
{
    /// <summary>How every refusal of an unregistered torrent starts.</summary>
    public const string UnregisteredPrefix = "unregistered torrent";

    /// <summary>The failure reason of an announce for a torrent that is not registered.</summary>
    public const string Unregistered = UnregisteredPrefix + ": this tracker serves registered torrents only; on the tracker's host run Register-MurderTorrent -Path TAG.tgz.torrent (New-MurderTorrent and Start-MurderSeeding do it when the tracker runs on their machine)";

    /// <summary>
    /// The exact commands that register a torrent: on the tracker's host, and from this machine
    /// over SSH when the tracker's host is known (<paramref name="trackerHost"/>).
    /// </summary>
    public static string HowToRegister(string torrentPath, int port, string? trackerHost)
    {
        string path = Fleet.PowerShellArguments.Quote(torrentPath);
        string local = $"on the tracker's host run: Register-MurderTorrent -Path {path} -Port {port}";
        return trackerHost is null ? local : $"{local}; or from this machine over SSH: Register-MurderTorrent -ComputerName {trackerHost} -Path {path} -Port {port}";
    }

    /// <summary>The host of a torrent's HTTP announce URL, as a host name for -ComputerName; null when there is none.</summary>
    public static string? TrackerHostOf(string? announceUrl) =>
        Uri.TryCreate(announceUrl, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https" ? url.Host : null;

    /// <summary>Whether a tracker client's error is a tracker refusing the torrent as unregistered.</summary>
    public static bool IsUnregistered(MurderException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        // The client's TrackerFailure message is "The tracker URL refused the request: REASON.".
        return error.ErrorId == "TrackerFailure" && error.Message.Contains("refused the request: " + UnregisteredPrefix, StringComparison.Ordinal);
    }
}
