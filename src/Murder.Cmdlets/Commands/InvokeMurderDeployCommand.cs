using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Fleet;
using Murder.Core.Tracker;
using Murder.Core.Deployment;
using Murder.Core.Hosting;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Invoke-MurderDeploy: the whole of Murder's Capistrano strategy in one command. On the seeder it
/// packs the release and makes the torrent, makes sure the tracker runs and serves it, seeds,
/// runs every peer (each lingers until the deploy ledger shows every host done, then removes its own
/// temporary files), then stops the seeder, removes the seeder's and tracker's temporary files, and
/// reports one result per peer. -Retry deploys again to the peers that failed last time.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "MurderDeploy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FleetPeerResult))]
public sealed class InvokeMurderDeployCommand : MurderFleetCmdlet
{
    private readonly List<MurderHostName> _computerNames = new();

    /// <summary>The deploy tag; DefaultTag from the configuration when left out.</summary>
    [Parameter(Position = 0)]
    public string? Tag { get; set; }

    /// <summary>The release directory on the seeder (Murder's files_path); DefaultSeederFilesPath when left out.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Where releases go on every peer: DESTINATION/TAG; DefaultDestinationPath when left out.</summary>
    [Parameter(Position = 2)]
    [ValidateNotNullOrEmpty]
    public string? DestinationPath { get; set; }

    /// <summary>A directory on this machine to upload to the seeder and deploy, instead of -Path.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LocalPath { get; set; }

    /// <summary>
    /// Deploy only to the peers that did not succeed in the last deploy of this tag, as the
    /// tracker's deploy ledger records it (failed, lost, or never started).
    /// </summary>
    [Parameter]
    public SwitchParameter Retry { get; set; }

    /// <summary>How long a started host may go without a report to the deploy ledger before it ends as HostLost.</summary>
    [Parameter]
    [ValidateRange(5, 86_400)]
    public int HostLostSeconds { get; set; } = InvokeMurderPeerCommand.DefaultHostLostSeconds;

    /// <summary>
    /// The longest a peer keeps seeding after its download while it waits for the deploy ledger to
    /// show every host of the deploy done (it stops as soon as it does).
    /// </summary>
    [Parameter]
    [ValidateRange(0, 86_400)]
    public int PeerLingerSeconds { get; set; } = 600;

    /// <summary>Replace a non-empty DESTINATION/TAG on the peers.</summary>
    [Parameter]
    public SwitchParameter UnsafePleaseDelete { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        // Host names may come from the pipeline; the deploy runs once, in EndProcessing.
        if (ComputerName is not null)
        {
            _computerNames.AddRange(ComputerName);
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        ComputerName = _computerNames.Count > 0 ? _computerNames.ToArray() : null;
        FleetConfiguration config = Configuration;
        string tag = Validate(() => DeployTag.Validate(Tag ?? config.DefaultTag ?? throw Missing("Tag", "DefaultTag")));
        string destination = DestinationPath ?? config.DefaultDestinationPath ?? throw Missing("DestinationPath", "DefaultDestinationPath");
        string? localSource = LocalPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(LocalPath);
        if (localSource is not null && !Directory.Exists(localSource))
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("PathNotFound", MurderErrorCategory.ObjectNotFound, $"The directory '{localSource}' does not exist.") { TargetObject = localSource }));
        }

        string temp = config.TempPath;
        string uploadDirectory = RemotePath.Combine(temp, "murder-upload-" + tag);
        string source = localSource is not null ? uploadDirectory : Path ?? config.DefaultSeederFilesPath ?? throw Missing("Path", "DefaultSeederFilesPath");

        // Roles: sessions, else -ComputerName, else the configuration (every server a peer, the
        // seeder and tracker the first one unless named).
        List<FleetTarget> peers;
        FleetTarget seeder, tracker;
        if (IsRemote)
        {
            peers = RequestedTargets().ToList();
            if (peers.Count == 0)
            {
                return;
            }

            seeder = config.Seeder() is FleetHost seederHost && Session is null ? FleetTarget.For(seederHost) : peers[0];
            tracker = config.Tracker() is FleetHost trackerHost && Session is null ? FleetTarget.For(trackerHost) : seeder;
        }
        else
        {
            peers = config.PeerHosts().Select(FleetTarget.For).ToList();
            FleetHost? seederHost = config.Seeder();
            if (peers.Count == 0 || seederHost is null)
            {
                throw Missing("ComputerName", "Peers");
            }

            seeder = FleetTarget.For(seederHost);
            tracker = FleetTarget.For(config.Tracker() ?? seederHost);
        }

        string announceHost = tracker.Host?.Name ?? tracker.ComputerName;
        string trackerAddress = (announceHost.Contains(':', StringComparison.Ordinal) ? $"[{announceHost}]" : announceHost) + ":" + config.TrackerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Retry)
        {
            peers = RetryTargets(peers, tag, trackerAddress);
            if (peers.Count == 0)
            {
                return;
            }
        }

        if (!ShouldProcess(seeder.ComputerName, $"Pack '{source}' as '{tag}' and seed it"))
        {
            return;
        }

        peers = peers.Where(p => ShouldProcess(p.ComputerName, $"Deploy '{tag}' into {destination}")).ToList();
        if (peers.Count == 0)
        {
            return;
        }

        string remoteTorrent = RemotePath.Combine(temp, DeployTag.TorrentFileName(tag));
        string remoteArtifact = RemotePath.Combine(temp, DeployTag.ArtifactFileName(tag));
        string localDirectory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "murder-deploy-" + ModuleInstallScript.NewNonce());
        string localTorrent = System.IO.Path.Combine(localDirectory, DeployTag.TorrentFileName(tag));
        string module = config.RemoteMurderPath;
        Directory.CreateDirectory(localDirectory);
        try
        {
            bool ready =
                (localSource is null || Step(seeder, "Uploading the release to the seeder", (e, a, t) => UploadDirectoryAsync(e, a, localSource, uploadDirectory, t)))
                && Step(tracker, "Starting the tracker", Cmdlet("Start-MurderTracker", ("Port", config.TrackerPort), ("AllowedHostName", TrackerOptions.IsHostName(announceHost) ? new[] { announceHost } : null)))
                && Step(seeder, "Creating the torrent", Cmdlet("New-MurderTorrent", ("Tag", tag), ("Path", source), ("Tracker", trackerAddress), ("OutputDirectory", temp), ("Force", true)))
                && Step(seeder, "Fetching the torrent", async (e, a, t) =>
                {
                    await e.DownloadFileAsync(remoteTorrent, localTorrent, t).ConfigureAwait(false);
                    return new HostOutcome();
                })
                && Step(tracker, "Registering the torrent", async (e, a, t) =>
                {
                    if (!ReferenceEquals(tracker, seeder))
                    {
                        await e.UploadFileAsync(localTorrent, remoteTorrent, t).ConfigureAwait(false);
                    }

                    return await RunRemoteCmdletAsync(e, module, "Register-MurderTorrent", Parameters(("Path", remoteTorrent), ("Port", config.TrackerPort), ("Force", true)), t).ConfigureAwait(false);
                })
                && Step(seeder, "Starting to seed", Cmdlet("Start-MurderSeeding", ("Tag", tag), ("TorrentPath", remoteTorrent), ("ArtifactPath", remoteArtifact), ("UntilHostsDone", peers.Count), ("RemoveTempFiles", true)));
            if (!ready)
            {
                return;
            }

            // Each peer lingers until the ledger shows every host of this deploy done (at most
            // PeerLingerSeconds) and removes its own temporary files: no sweep over the fleet.
            var peerParameters = Parameters(("Tag", tag), ("DestinationPath", destination), ("TempPath", temp), ("TorrentPath", remoteTorrent), ("UnsafePleaseDelete", UnsafePleaseDelete.IsPresent), ("SeedSeconds", PeerLingerSeconds), ("UntilHostsDone", peers.Count), ("RemoveTempFiles", true));
            List<FleetPeerResult> results = DeployToFleet(peers, new PeerDeployPlan
            {
                Tag = tag,
                LocalTorrent = localTorrent,
                RemoteTorrent = remoteTorrent,
                ModulePath = module,
                Parameters = peerParameters,
                Destination = RemotePath.Combine(destination, tag),
                HostLost = TimeSpan.FromSeconds(HostLostSeconds),
            }, $"Deploying '{tag}' to {peers.Count} host{(peers.Count == 1 ? string.Empty : "s")}");
            if (results.Count > 0)
            {
                WaitForPeersToStop(trackerAddress, localTorrent, peers.Count);
            }
        }
        finally
        {
            // Murder's stop_seeding and clean_temp_files, whatever happened above, on the seeder and
            // tracker only: the peers stop seeding and remove their files themselves.
            if (!Cancellation.IsCancellationRequested)
            {
                CleanUp(tag, seeder, tracker, module, new[] { remoteTorrent, remoteArtifact, uploadDirectory });
            }

            Directory.Delete(localDirectory, recursive: true);
        }
    }

    /// <summary>
    /// Every host's result is in; the lingering peers notice within their poll interval, stop and
    /// remove their files. Waiting for the ledger to show none still seeding (bounded: a host lost
    /// while seeding never says done) means that when this command returns, the peers are quiet.
    /// </summary>
    private void WaitForPeersToStop(string trackerAddress, string localTorrent, int hosts)
    {
        string infoHash = Validate(() => TorrentLoader.Load(localTorrent)).InfoHash.ToHex();
        TimeSpan poll = new LingerUntilDone(hosts, TimeSpan.Zero, DateTime.UtcNow).PollInterval;
        TimeSpan bound = TimeSpan.FromSeconds(Math.Min(PeerLingerSeconds, (2 * poll.TotalSeconds) + 15));
        using DeployLedgerClient ledger = Validate(() => DeployLedgerClient.ForTracker(trackerAddress));
        bool quiet = RunWithProgress(
            token => LingerWatch.WaitForNoneSeedingAsync(ledger, infoHash, bound, token).GetAwaiter().GetResult(),
            () => new ProgressRecord(1, "Invoke-MurderDeploy", "Waiting for the peers to stop seeding"));
        if (!quiet)
        {
            WriteVerbose($"Some peers still seed after {bound.TotalSeconds:0} s; each stops by itself within {PeerLingerSeconds} s of its download.");
        }
    }

    private void CleanUp(string tag, FleetTarget seeder, FleetTarget tracker, string module, string[] paths)
    {
        // The seeder stops by itself once every host is done; stopped here as well, it does not
        // linger for hosts that were never started or were lost.
        var tagOnly = Parameters(("Tag", tag));
        RunFleet(new[] { new FleetJob(seeder, (e, a, t) => RunRemoteCmdletAsync(e, module, "Stop-MurderSeeding", tagOnly, t)) }, "Stopping the seeder", WriteErrorsOnly);
        FleetTarget[] roles = seeder.ComputerName == tracker.ComputerName ? new[] { seeder } : new[] { seeder, tracker };
        RunFleet(roles.Select(host => new FleetJob(host, (e, a, t) => RunRemoteScriptAsync(e, console => RemoteScript.Wrap(CleanupScript.Body(paths), console), t))).ToList(), "Removing temporary files", WriteErrorsOnly);
    }

    /// <summary>
    /// The hosts to deploy again: those of <paramref name="peers"/> whose latest word in the ledger,
    /// over every deploy of <paramref name="tag"/> (a retry packs a new release, so a tag can span
    /// several), is not success: failed, lost, or never started.
    /// </summary>
    private List<FleetTarget> RetryTargets(List<FleetTarget> peers, string tag, string trackerAddress)
    {
        using DeployLedgerClient ledger = Validate(() => DeployLedgerClient.ForTracker(trackerAddress));
        List<DeploySummary> deploys = Validate(() => ledger.ListAsync(Cancellation).GetAwaiter().GetResult()).Deploys.Where(d => string.Equals(d.Tag, tag, StringComparison.OrdinalIgnoreCase)).ToList();
        if (deploys.Count == 0)
        {
            WriteWarning($"The tracker {trackerAddress} records no deploy of '{tag}'; nothing to retry. Deploy without -Retry.");
            return new List<FleetTarget>();
        }

        // Newest deploy first: a host's first entry met is its latest word.
        var latest = new Dictionary<string, DeployStage>(StringComparer.OrdinalIgnoreCase);
        foreach (DeploySummary deploy in deploys)
        {
            foreach (DeployLedgerEntry entry in Validate(() => ledger.ReadAllAsync(deploy.InfoHash, Cancellation).GetAwaiter().GetResult()))
            {
                latest.TryAdd(entry.Host, entry.Stage);
            }
        }

        List<FleetTarget> retry = peers.Where(p => !(latest.TryGetValue(p.ComputerName, out DeployStage stage) && DeployStages.IsSuccess(stage))).ToList();
        if (retry.Count == 0)
        {
            WriteWarning($"Every host of the last deploy of '{tag}' succeeded; nothing to retry.");
        }
        else
        {
            WriteVerbose($"Retrying {retry.Count} host(s) the ledger does not list as succeeded: {string.Join(", ", retry.Take(20).Select(p => p.ComputerName))}{(retry.Count > 20 ? ", ..." : string.Empty)}.");
        }

        return retry;
    }

    private void WriteErrorsOnly(FleetJob job, HostOutcome outcome)
    {
        if (outcome.Error is not null)
        {
            WriteHostError(job.Target, outcome.Error);
        }
    }

    private bool Step(FleetTarget target, string activity, Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>> work)
    {
        WriteVerbose($"{target.ComputerName}: {activity}.");
        HostOutcome outcome = RunStep(target, activity, work);
        foreach (string warning in outcome.Warnings)
        {
            WriteVerbose($"{target.ComputerName}: {warning}");
        }

        if (outcome.Error is not null)
        {
            WriteHostError(target, new MurderException(outcome.Error.ErrorId, outcome.Error.Category, $"{activity} failed, so nothing was deployed. {outcome.Error.Message}", outcome.Error) { TargetObject = target.ComputerName });
            return false;
        }

        return true;
    }

    private Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>> Cmdlet(string command, params (string Name, object? Value)[] parameters)
    {
        string module = Configuration.RemoteMurderPath;
        var list = Parameters(parameters);
        return (executor, activity, token) => RunRemoteCmdletAsync(executor, module, command, list, token);
    }

    private static List<KeyValuePair<string, object?>> Parameters(params (string Name, object? Value)[] parameters) =>
        parameters.Select(p => new KeyValuePair<string, object?>(p.Name, p.Value)).ToList();

    private static async Task<HostOutcome> UploadDirectoryAsync(IHostExecutor executor, HostActivity activity, string localSource, string remoteDirectory, CancellationToken token)
    {
        // Start clean: a leftover upload must not mix into this release.
        HostOutcome cleared = await RunRemoteScriptAsync(executor, console => RemoteScript.Wrap(CleanupScript.Body(new[] { remoteDirectory }), console), token).ConfigureAwait(false);
        if (cleared.Error is not null)
        {
            return cleared;
        }

        var files = Directory.EnumerateFiles(localSource, "*", SearchOption.AllDirectories).ToList();
        long bytes = 0;
        for (int index = 0; index < files.Count; index++)
        {
            string relative = System.IO.Path.GetRelativePath(localSource, files[index]).Replace('\\', '/');
            activity.Stage = $"Uploading {index + 1} of {files.Count}: {relative}";
            await executor.UploadFileAsync(files[index], RemotePath.Combine(remoteDirectory, relative), token).ConfigureAwait(false);
            bytes += new FileInfo(files[index]).Length;
        }

        return new HostOutcome { Bytes = bytes };
    }

    private MurderException Missing(string parameter, string key)
    {
        var error = new MurderException("MissingDeploySetting", MurderErrorCategory.InvalidArgument, $"Give -{parameter}, or set {key} in murder.psd1.") { TargetObject = parameter };
        ThrowTerminatingError(ToErrorRecord(error));
        return error;
    }
}
