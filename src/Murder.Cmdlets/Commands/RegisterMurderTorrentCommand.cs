using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Murder.Core;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Register-MurderTorrent: allows a torrent on a tracker by copying its .torrent into the tracker's
/// torrent directory; with a running tracker it waits until the tracker serves it.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "MurderTorrent", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = TrackerSet)]
[OutputType(typeof(TorrentRegistration))]
public sealed class RegisterMurderTorrentCommand : MurderCmdlet
{
    private const string TrackerSet = "Tracker";
    private const string DirectorySet = "Directory";
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The .torrent files to register.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("TorrentPath", "FullName")]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The port of the running tracker; the only running one, or 8998, when left out.</summary>
    [Parameter(ParameterSetName = TrackerSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>A tracker's torrent directory, running or not.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DirectorySet)]
    [ValidateNotNullOrEmpty]
    public string TorrentDirectory { get; set; } = string.Empty;

    /// <summary>Replace a different torrent of the same file name.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        (string directory, BackgroundProcessRecord? tracker) = ResolveTarget();
        foreach (string path in Path)
        {
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            if (!ShouldProcess(full, $"Register with the tracker (copy into {directory})"))
            {
                continue;
            }

            (TorrentMetaInfo torrent, string destination) = Validate(() => TorrentRegistrar.CopyInto(full, directory, Force));
            bool confirmed = tracker is not null && RunWithProgress(
                token => WaitUntilServed(tracker, torrent.InfoHash, token),
                () => new ProgressRecord(1, "Register-MurderTorrent", $"Waiting for the tracker on port {tracker.Port} to serve {torrent.Name}"));
            if (tracker is not null && !confirmed)
            {
                WriteWarning($"The tracker on port {tracker.Port} did not list {torrent.InfoHash} within {ConfirmTimeout.TotalSeconds:0} s; it rescans its torrent directory every second, check its log ({tracker.LogPath}).");
            }

            WriteObject(new TorrentRegistration
            {
                InfoHash = torrent.InfoHash.ToHex(),
                Name = torrent.Name,
                TorrentPath = destination,
                TorrentDirectory = directory,
                Tracker = tracker?.Url,
                Confirmed = confirmed,
            });
        }
    }

    private (string Directory, BackgroundProcessRecord? Tracker) ResolveTarget()
    {
        if (ParameterSetName == DirectorySet)
        {
            return (SessionState.Path.GetUnresolvedProviderPathFromPSPath(TorrentDirectory), null);
        }

        BackgroundProcessStore store = BackgroundProcessStore.Default();
        List<BackgroundProcessRecord> running = store.List(TrackerProcess.Kind).Where(BackgroundProcessStore.IsRunning).ToList();
        int port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : running.Count == 1 ? running[0].Port ?? AnnounceUrl.DefaultPort : AnnounceUrl.DefaultPort;
        BackgroundProcessRecord? tracker = running.FirstOrDefault(r => r.Port == port);
        if (tracker is null || !tracker.Properties.TryGetValue("TorrentDirectory", out string? directory))
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("TrackerNotRunning", MurderErrorCategory.ObjectNotFound, $"No Murder tracker is running on port {port}. Start one with Start-MurderTracker, or give -TorrentDirectory.") { TargetObject = port }));
            throw new InvalidOperationException(); // unreachable
        }

        return (directory, tracker);
    }

    private static bool WaitUntilServed(BackgroundProcessRecord tracker, InfoHash infoHash, CancellationToken cancellationToken)
    {
        using var client = new HttpTrackerClient(TimeSpan.FromSeconds(5));
        var clock = Stopwatch.StartNew();
        Uri url = TrackerProcess.LocalUrl(tracker);
        while (clock.Elapsed < ConfirmTimeout)
        {
            try
            {
                IReadOnlyList<TrackerTorrentStatus> listed = client.ScrapeAsync(url, new[] { infoHash }, cancellationToken).GetAwaiter().GetResult();
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
}
