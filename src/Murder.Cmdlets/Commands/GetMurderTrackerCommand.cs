using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Murder.Core;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Get-MurderTracker: per torrent, the seeders, leechers and completed downloads of the running
/// trackers (from their scrape), or of any tracker given by -Url, with the torrent's live page.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MurderTracker", DefaultParameterSetName = LocalSet)]
[OutputType(typeof(TrackerTorrentStatus))]
public sealed class GetMurderTrackerCommand : MurderCmdlet
{
    private const string LocalSet = "Local";
    private const string UrlSet = "Url";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The ports of the recorded trackers to ask; all of them when left out.</summary>
    [Parameter(Position = 0, ParameterSetName = LocalSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int[]? Port { get; set; }

    /// <summary>Any tracker's announce URL (or HOST:PORT).</summary>
    [Parameter(Mandatory = true, ParameterSetName = UrlSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = string.Empty;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var targets = new List<(Uri Local, string Shown)>();
        if (ParameterSetName == UrlSet)
        {
            string normalized;
            try
            {
                normalized = AnnounceUrl.Normalize(Url);
            }
            catch (ArgumentException error)
            {
                ThrowTerminatingError(ToErrorRecord(new MurderException("InvalidTracker", MurderErrorCategory.InvalidArgument, error.Message, error) { TargetObject = Url }));
                return;
            }

            targets.Add((new Uri(normalized), normalized));
        }
        else
        {
            IEnumerable<BackgroundProcessRecord> records = BackgroundProcessStore.Default().List(TrackerProcess.Kind).Where(BackgroundProcessStore.IsRunning);
            if (Port is not null)
            {
                records = records.Where(r => r.Port is int p && Port.Contains(p));
            }

            foreach (BackgroundProcessRecord record in records)
            {
                targets.Add((TrackerProcess.LocalUrl(record), record.Url ?? TrackerProcess.LocalUrl(record).ToString()));
            }

            if (targets.Count == 0)
            {
                WriteWarning(Port is null ? "No Murder tracker is running. Start one with Start-MurderTracker, or give -Url." : $"No Murder tracker is running on port {string.Join(", ", Port)}.");
            }
        }

        using var client = new HttpTrackerClient(Timeout);
        foreach ((Uri local, string shown) in targets)
        {
            IReadOnlyList<TrackerTorrentStatus> torrents;
            try
            {
                torrents = client.ScrapeAsync(local, Array.Empty<InfoHash>(), Cancellation).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (MurderException error)
            {
                WriteError(ToErrorRecord(error));
                continue;
            }

            if (torrents.Count == 0)
            {
                WriteVerbose($"The tracker {shown} has no torrents.");
            }

            foreach (TrackerTorrentStatus torrent in torrents)
            {
                WriteObject(torrent with { Tracker = shown, PageUrl = TrackerProcess.PageUrlFor(shown) + "#" + torrent.InfoHash.ToLowerInvariant() });
            }
        }
    }
}
