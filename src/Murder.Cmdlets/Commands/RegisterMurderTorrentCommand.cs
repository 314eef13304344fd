using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Fleet;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Register-MurderTorrent: allows a torrent on a tracker by copying its .torrent into the tracker's
/// torrent directory; with a running tracker it waits until the tracker serves it. With
/// -ComputerName the .torrent (a file on this machine) is copied to each host's TempPath and
/// registered there.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "MurderTorrent", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = TrackerSet)]
[OutputType(typeof(TorrentRegistration))]
public sealed class RegisterMurderTorrentCommand : MurderFleetCmdlet
{
    private const string TrackerSet = "Tracker";
    private const string DirectorySet = "Directory";

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
        if (IsRemote)
        {
            QueueRemoteRegistrations();
            return;
        }

        (string directory, BackgroundProcessRecord? tracker) = ResolveTarget();
        foreach (string path in Path)
        {
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            if (!ShouldProcess(full, $"Register with the tracker (copy into {directory})"))
            {
                continue;
            }

            TorrentRegistration registration = tracker is null
                ? Validate(() => TorrentRegistrar.Register(full, directory, Force))
                : RunWithProgress(
                    token => TorrentRegistrar.Register(full, tracker, Force, token),
                    () => new ProgressRecord(1, "Register-MurderTorrent", $"Waiting for the tracker on port {tracker.Port} to serve {System.IO.Path.GetFileName(full)}"));
            WriteRegistrationWarnings(this, registration);
            WriteObject(registration);
        }
    }

    /// <summary>The warnings a registration calls for: a tracker that did not confirm, an earlier torrent replaced.</summary>
    internal static void WriteRegistrationWarnings(Cmdlet cmdlet, TorrentRegistration registration)
    {
        if (registration.Tracker is not null && !registration.Confirmed)
        {
            cmdlet.WriteWarning($"The tracker {registration.Tracker} did not list {registration.InfoHash} within {TorrentRegistrar.ConfirmTimeout.TotalSeconds:0} s; it rescans its torrent directory every second, check its log ({registration.TrackerLogPath}).");
        }

        if (registration.ReplacedInfoHash is string replaced)
        {
            cmdlet.WriteVerbose($"{registration.Name}: the tracker now serves {registration.InfoHash} instead of the earlier {replaced}.");
        }
    }

    /// <summary>
    /// On a host: copies the local .torrent into the host's temp directory and runs
    /// Register-MurderTorrent there (also used by New-MurderTorrent -ComputerName).
    /// </summary>
    internal static async Task<HostOutcome> RegisterRemotelyAsync(IHostExecutor executor, HostActivity activity, string localTorrent, string remoteTemp, string modulePath, IReadOnlyList<KeyValuePair<string, object?>> parameters, CancellationToken token)
    {
        string remoteTorrent = RemotePath.Combine(remoteTemp, System.IO.Path.GetFileName(localTorrent));
        activity.Stage = "Copying the torrent";
        await executor.UploadFileAsync(localTorrent, remoteTorrent, token).ConfigureAwait(false);
        activity.Stage = "Registering the torrent";
        var remoteParameters = new List<KeyValuePair<string, object?>>(parameters) { new(nameof(Path), remoteTorrent) };
        return await RunRemoteCmdletAsync(executor, modulePath, "Register-MurderTorrent", remoteParameters, token).ConfigureAwait(false);
    }

    private void QueueRemoteRegistrations()
    {
        List<KeyValuePair<string, object?>> parameters = RemoteParameters(nameof(Path));
        string remoteTemp = Configuration.TempPath;
        string modulePath = Configuration.RemoteMurderPath;
        foreach (string path in Path)
        {
            string local = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            if (!System.IO.File.Exists(local))
            {
                WriteError(ToErrorRecord(new MurderException("TorrentNotFound", MurderErrorCategory.ObjectNotFound, $"The torrent file '{local}' does not exist on this machine; with -ComputerName, -Path names a file here that is copied to each host.") { TargetObject = local }));
                continue;
            }

            QueueRemote($"Register '{System.IO.Path.GetFileName(local)}' with the tracker", (executor, activity, token) => RegisterRemotelyAsync(executor, activity, local, remoteTemp, modulePath, parameters, token));
        }
    }

    private (string Directory, BackgroundProcessRecord? Tracker) ResolveTarget()
    {
        if (ParameterSetName == DirectorySet)
        {
            return (SessionState.Path.GetUnresolvedProviderPathFromPSPath(TorrentDirectory), null);
        }

        IReadOnlyList<BackgroundProcessRecord> running = TorrentRegistrar.RunningTrackers(BackgroundProcessStore.Default());
        int port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : running.Count == 1 ? running[0].Port ?? AnnounceUrl.DefaultPort : AnnounceUrl.DefaultPort;
        BackgroundProcessRecord? tracker = running.FirstOrDefault(r => r.Port == port);
        if (tracker is null)
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("TrackerNotRunning", MurderErrorCategory.ObjectNotFound, $"No Murder tracker is running on port {port}. Start one with Start-MurderTracker, or give -TorrentDirectory.") { TargetObject = port }));
            throw new InvalidOperationException(); // unreachable
        }

        return (tracker.Properties["TorrentDirectory"], tracker);
    }
}
