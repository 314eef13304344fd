using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker.Client;

namespace Murder.Core.Tracker;

/// <summary>
/// Registers a torrent with a tracker by placing a copy in its torrent directory, atomically (the
/// tracker never sees half a file), and with a running tracker waits until it serves it. The one
/// implementation behind Register-MurderTorrent and the registration New-MurderTorrent and
/// Start-MurderSeeding do with a tracker on their machine.
/// </summary>
public static class TorrentRegistrar
{
    /// <summary>How long a running tracker gets to list a new torrent (it rescans its directory every second).</summary>
    public static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The running Murder tracker on <paramref name="port"/> of this machine, from its record; null when none runs there.</summary>
    public static BackgroundProcessRecord? FindRunningTracker(BackgroundProcessStore store, int port)
    {
        ArgumentNullException.ThrowIfNull(store);
        return RunningTrackers(store).FirstOrDefault(r => r.Port == port);
    }

    /// <summary>Every running Murder tracker of this machine that has a torrent directory.</summary>
    public static IReadOnlyList<BackgroundProcessRecord> RunningTrackers(BackgroundProcessStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.List(TrackerProcess.Kind).Where(r => r.Properties.ContainsKey("TorrentDirectory") && BackgroundProcessStore.IsRunning(r)).ToList();
    }

    /// <summary>
    /// Registers <paramref name="torrentPath"/> with the Murder tracker running on this machine on the
    /// port of the torrent's announce URL. Returns null when no tracker runs there (or the torrent
    /// names no HTTP tracker): the caller says what to run instead.
    /// </summary>
    public static TorrentRegistration? RegisterWithLocalTracker(BackgroundProcessStore store, string torrentPath, TorrentMetaInfo torrent, bool force, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return AnnouncePort(torrent) is int port && FindRunningTracker(store, port) is BackgroundProcessRecord tracker
            ? Register(torrentPath, tracker, force, cancellationToken)
            : null;
    }

    /// <summary>The port of the torrent's announce URL; null when it names no HTTP tracker.</summary>
    public static int? AnnouncePort(TorrentMetaInfo torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return Uri.TryCreate(torrent.Announce, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https" ? url.Port : null;
    }

    /// <summary>Registers with a running tracker (its record) and waits until it serves the torrent.</summary>
    public static TorrentRegistration Register(string torrentPath, BackgroundProcessRecord tracker, bool force, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        string directory = tracker.Properties.TryGetValue("TorrentDirectory", out string? value) ? value : throw new ArgumentException("The tracker record names no torrent directory.", nameof(tracker));
        TorrentRegistration copied = Register(torrentPath, directory, force);
        bool confirmed = WaitUntilServed(TrackerProcess.LocalUrl(tracker), InfoHash.Parse(copied.InfoHash), cancellationToken);
        return copied with { Tracker = tracker.Url, TrackerLogPath = tracker.LogPath, Confirmed = confirmed };
    }

    /// <summary>
    /// Validates <paramref name="torrentPath"/> and copies it into a tracker's torrent
    /// <paramref name="directory"/> under its own file name. An identical copy is left as it is; a
    /// different file of that name (an earlier release of the tag) is replaced only with
    /// <paramref name="force"/>, and the registration names the info-hash it replaced.
    /// </summary>
    public static TorrentRegistration Register(string torrentPath, string directory, bool force)
    {
        if (!File.Exists(torrentPath))
        {
            throw new MurderException("TorrentNotFound", MurderErrorCategory.ObjectNotFound, $"The torrent file '{torrentPath}' does not exist.") { TargetObject = torrentPath };
        }

        TorrentMetaInfo torrent = Load(torrentPath);
        byte[] bytes = File.ReadAllBytes(torrentPath);
        string name = Path.GetFileName(torrentPath);
        if (!name.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase))
        {
            name += ".torrent";
        }

        string destination = Path.Combine(directory, name);
        var registration = new TorrentRegistration
        {
            InfoHash = torrent.InfoHash.ToHex(),
            Name = torrent.Name,
            TorrentPath = destination,
            TorrentDirectory = directory,
        };
        if (Path.GetFullPath(destination) == Path.GetFullPath(torrentPath))
        {
            return registration;
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new MurderException("TorrentRegistrationFailed", MurderErrorCategory.WriteError, $"Cannot create the torrent directory '{directory}': {error.Message}", error) { TargetObject = directory };
        }

        string? replaced = null;
        if (File.Exists(destination))
        {
            if (File.ReadAllBytes(destination).AsSpan().SequenceEqual(bytes))
            {
                return registration;
            }

            if (!force)
            {
                throw new MurderException("TorrentExists", MurderErrorCategory.ResourceExists, $"'{destination}' exists and is a different torrent. Use -Force to replace it.") { TargetObject = destination };
            }

            replaced = TryLoad(destination)?.InfoHash.ToHex();
        }

        string temporary = Path.Combine(directory, "." + name + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, destination, overwrite: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new MurderException("TorrentRegistrationFailed", MurderErrorCategory.WriteError, $"Cannot write '{destination}': {error.Message} Register as the user that runs the tracker.", error) { TargetObject = destination };
        }

        return registration with { ReplacedInfoHash = replaced };
    }

    /// <summary>Polls the tracker's scrape until it lists the torrent or <see cref="ConfirmTimeout"/> passes.</summary>
    private static bool WaitUntilServed(Uri trackerUrl, InfoHash infoHash, CancellationToken cancellationToken)
    {
        using var client = new HttpTrackerClient(TimeSpan.FromSeconds(5));
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ConfirmTimeout)
        {
            try
            {
                IReadOnlyList<TrackerTorrentStatus> listed = client.ScrapeAsync(trackerUrl, new[] { infoHash }, cancellationToken).GetAwaiter().GetResult();
                if (listed.Any(t => t.InfoHash == infoHash.ToHex()))
                {
                    return true;
                }
            }
            catch (MurderException)
            {
                // Not reachable yet: keep trying until the deadline.
            }

            cancellationToken.WaitHandle.WaitOne(200);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return false;
    }

    private static TorrentMetaInfo Load(string torrentPath)
    {
        try
        {
            return MetaInfoReader.Load(torrentPath);
        }
        catch (MetaInfoException error)
        {
            throw new MurderException("InvalidTorrent", MurderErrorCategory.InvalidData, error.Message, error) { TargetObject = torrentPath };
        }
    }

    private static TorrentMetaInfo? TryLoad(string torrentPath)
    {
        try
        {
            return MetaInfoReader.Load(torrentPath);
        }
        catch (Exception error) when (error is MetaInfoException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
