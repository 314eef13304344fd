using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Murder.Cmdlets.Fleet;
using Murder.Cmdlets.Hosting;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Swarm;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Invoke-MurderPeer: downloads TAG.tgz through the swarm, keeps seeding it for a while from a
/// background process, and extracts it into DESTINATION/TAG (Murder's peer task).
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "MurderPeer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PeerRunResult), typeof(FleetPeerResult))]
public sealed class InvokeMurderPeerCommand : MurderFleetCmdlet
{
    /// <summary>The deploy tag.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Tag { get; set; } = string.Empty;

    /// <summary>Where releases go: DESTINATION/TAG.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public string DestinationPath { get; set; } = string.Empty;

    /// <summary>The torrent; TEMP/TAG.tgz.torrent by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? TorrentPath { get; set; }

    /// <summary>Where TAG.tgz is downloaded; the system temp directory by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? TempPath { get; set; }

    /// <summary>Extract into DESTINATION itself.</summary>
    [Parameter]
    public SwitchParameter NoTagDirectory { get; set; }

    /// <summary>Replace a non-empty target.</summary>
    [Parameter]
    public SwitchParameter UnsafePleaseDelete { get; set; }

    /// <summary>Seconds to keep seeding after the download, from a background process.</summary>
    [Parameter]
    [ValidateRange(0, 86_400)]
    public int SeedSeconds { get; set; } = PeerRunRequest.DefaultSeedSeconds;

    /// <summary>
    /// Keep seeding after the download only until the tracker's deploy ledger shows this many hosts
    /// seeding, done or failed (the hosts of the deploy); -SeedSeconds is then the maximum. 0, the
    /// default: seed for -SeedSeconds.
    /// </summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int UntilHostsDone { get; set; }

    /// <summary>Remove the torrent and TAG.tgz from the temp directory once the peer (and its seeding) ends.</summary>
    [Parameter]
    public SwitchParameter RemoveTempFiles { get; set; }

    /// <summary>Give up when no data arrives for this many seconds.</summary>
    [Parameter]
    [ValidateRange(5, 86_400)]
    public int StallTimeoutSeconds { get; set; } = PeerRunRequest.DefaultStallTimeoutSeconds;

    /// <summary>The port to listen on while downloading; a free one by default.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// With -ComputerName or -Session: how long a started host may go without a report to the
    /// tracker's deploy ledger before it ends as HostLost.
    /// </summary>
    [Parameter]
    [ValidateRange(5, 86_400)]
    public int HostLostSeconds { get; set; } = DefaultHostLostSeconds;

    /// <summary>The default of -HostLostSeconds: four report intervals.</summary>
    internal const int DefaultHostLostSeconds = 60;

    private readonly List<FleetTarget> _targets = new();
    private PeerDeployPlan? _plan;
    private DateTime _invokedAtUtc;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        _invokedAtUtc = DateTime.UtcNow;
        if (IsRemote)
        {
            QueueRemotePeer();
            return;
        }

        string temp = SessionState.Path.GetUnresolvedProviderPathFromPSPath(TempPath ?? Configuration.LocalTempPath());
        var request = new PeerRunRequest
        {
            Tag = Tag,
            TorrentPath = TorrentPath is null ? Path.Combine(temp, DeployTag.TorrentFileName(Tag)) : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TorrentPath),
            TempPath = temp,
            DestinationPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(DestinationPath),
            NoTagDirectory = NoTagDirectory,
            ReplaceExisting = UnsafePleaseDelete,
            StallTimeout = TimeSpan.FromSeconds(StallTimeoutSeconds),
            Swarm = new SwarmSettings { ListenPort = Port },
            ReportHost = Environment.GetEnvironmentVariable(PeerRunRequest.ReportHostVariable),
            UntilHostsDone = UntilHostsDone,
            RemoveTempFiles = RemoveTempFiles,
        };
        TorrentMetaInfo torrent = Validate(() => PeerRun.Prepare(request));
        string target = NoTagDirectory ? request.DestinationPath : Path.Combine(request.DestinationPath, request.Tag);
        if (!ShouldProcess(target, UnsafePleaseDelete ? $"Download '{Tag}' and replace the content" : $"Download and extract '{Tag}'"))
        {
            return;
        }

        if (Validate(BackgroundLauncher.FindAgent) is AgentHost agent)
        {
            WriteObject(RunInAgent(agent, request));
            return;
        }

        using HttpSwarmTracker tracker = Validate(() => HttpSwarmTracker.For(torrent));
        var progress = new PeerRunProgress();
        var warnings = new ConcurrentQueue<string>();
        DateTime started = DateTime.UtcNow;
        PeerRunResult result = RunWithProgress(
            token => RunReportedAsync(request, torrent, tracker, progress, warnings, token).GetAwaiter().GetResult(),
            () => Describe(PeerStatus.From(progress), DateTime.UtcNow - started));
        foreach (string warning in warnings)
        {
            WriteWarning(warning);
        }

        WriteObject(result);
    }

    private readonly HashSet<string> _checkedTorrents = new(StringComparer.Ordinal);

    /// <summary>
    /// Remotely: the torrent (a local file, TEMP/TAG.tgz.torrent by default) is handed to each host,
    /// whose peer starts detached; the hosts are then followed through the tracker's deploy ledger,
    /// one <see cref="FleetPeerResult"/> per host as it finishes (in EndProcessing, once every host
    /// from the pipeline is known, so they all join one swarm).
    /// </summary>
    private void QueueRemotePeer()
    {
        string tag = Validate(() => DeployTag.Validate(Tag));
        string localTorrent = TorrentPath is null
            ? Path.Combine(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Configuration.LocalTempPath()), DeployTag.TorrentFileName(tag))
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TorrentPath);
        if (!File.Exists(localTorrent))
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("TorrentNotFound", MurderErrorCategory.ObjectNotFound, $"The torrent '{localTorrent}' does not exist on this machine. Fetch it with Save-MurderTorrent, or give -TorrentPath.") { TargetObject = localTorrent }));
        }

        // The release is its info-hash: once per torrent, refuse one the tracker's swarm does not seed (an earlier release of the tag).
        if (_checkedTorrents.Add(localTorrent) && RunWithProgress(token => ReleaseTorrentCheck.Run(localTorrent, token), () => new ProgressRecord(1, "Invoke-MurderPeer", $"Checking that the tracker's seeder serves {Path.GetFileName(localTorrent)}")).Warning is string unverified)
        {
            WriteWarning(unverified);
        }

        string remoteTemp = TempPath ?? Configuration.TempPath;
        List<KeyValuePair<string, object?>> parameters = RemoteParameters(nameof(TorrentPath), nameof(TempPath), nameof(HostLostSeconds));
        parameters.Add(new(nameof(TempPath), remoteTemp));
        parameters.Add(new(nameof(TorrentPath), RemotePath.Combine(remoteTemp, DeployTag.TorrentFileName(tag))));
        var plan = new PeerDeployPlan
        {
            Tag = tag,
            LocalTorrent = localTorrent,
            RemoteTorrent = RemotePath.Combine(remoteTemp, DeployTag.TorrentFileName(tag)),
            ModulePath = Configuration.RemoteMurderPath,
            Parameters = parameters,
            Destination = NoTagDirectory ? DestinationPath : RemotePath.Combine(DestinationPath, tag),
            HostLost = TimeSpan.FromSeconds(HostLostSeconds),
            InvokedAtUtc = _invokedAtUtc,
        };
        if (_plan is not null && !(_plan.LocalTorrent == plan.LocalTorrent && _plan.Destination == plan.Destination && _plan.Parameters.SequenceEqual(plan.Parameters)))
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("MixedDeploys", MurderErrorCategory.InvalidArgument, "Every host piped to one Invoke-MurderPeer gets the same release and parameters; run one Invoke-MurderPeer per release.")));
        }

        _plan ??= plan;
        foreach (FleetTarget target in RequestedTargets())
        {
            if (ShouldProcess(target.ComputerName, UnsafePleaseDelete ? $"Download '{tag}' into {DestinationPath} and replace the content" : $"Download and extract '{tag}' into {DestinationPath}")
                && !_targets.Any(t => string.Equals(t.ComputerName, target.ComputerName, StringComparison.OrdinalIgnoreCase)))
            {
                _targets.Add(target);
            }
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (_plan is not null)
        {
            DeployToFleet(_targets, _plan, $"Deploying '{_plan.Tag}' to {_targets.Count} host{(_targets.Count == 1 ? string.Empty : "s")}");
        }
    }

    /// <summary>The run in this process, reported to the deploy ledger as the agent reports its runs (failures logged as warnings, never fatal).</summary>
    private async Task<PeerRunResult> RunReportedAsync(PeerRunRequest request, TorrentMetaInfo torrent, HttpSwarmTracker tracker, PeerRunProgress progress, ConcurrentQueue<string> warnings, CancellationToken cancellation)
    {
        bool lingering = SeedSeconds > 0;
        using DeployReporter? reporter = PeerReports.For(torrent, request.ReportHost, warnings.Enqueue);
        DeployReportLoop? reports = reporter is null ? null : DeployReportLoop.Start(reporter, () => progress.ToReport(torrent.TotalLength, lingering));
        try
        {
            PeerRunResult result = await PeerRun.RunAsync(request, tracker, (t, artifact, ct) => StartLingeringSeeder(request, artifact, warnings, ct), progress, cancellation).ConfigureAwait(false);
            if (reports is not null)
            {
                // The lingering seeder is another process: this one's last word is the release in place.
                await reports.FinishAsync(new DeployReport { Stage = lingering && !result.AlreadyDeployed ? DeployStage.Seeding : DeployStage.Done, Downloaded = result.Bytes }).ConfigureAwait(false);
            }

            return result;
        }
        catch (Exception error) when (reports is not null && error is MurderException or OperationCanceledException)
        {
            MurderException failed = error as MurderException ?? new MurderException("PeerStopped", MurderErrorCategory.OperationStopped, "The download was stopped.");
            await reports.FinishAsync(progress.ToReport(torrent.TotalLength, lingering: false) with { Stage = DeployStage.Failed, ErrorId = failed.ErrorId, Message = failed.Message }).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (reports is not null)
            {
                await reports.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private Task StartLingeringSeeder(PeerRunRequest request, string artifact, ConcurrentQueue<string> warnings, CancellationToken cancellation)
    {
        if (SeedSeconds == 0)
        {
            return Task.CompletedTask;
        }

        int port = FreePort.Pick();
        var parameters = new List<KeyValuePair<string, object?>>
        {
            new("Foreground", true),
            new("Tag", request.Tag),
            new("TorrentPath", request.TorrentPath),
            new("ArtifactPath", artifact),
            new("Port", port),
            new("SeedSeconds", SeedSeconds),
            new("UntilHostsDone", UntilHostsDone),
            new("RemoveTempFiles", RemoveTempFiles.IsPresent),
        };
        try
        {
            // Every piece was just verified in memory and written: the agent need not hash them again.
            var verified = new List<KeyValuePair<string, object?>> { new("VerifiedArtifact", ArtifactStamp.Of(artifact).ToString()) };
            BackgroundLauncher.Start(BackgroundProcessStore.Default(), SeedingProcess.PeerKind, SeedingProcess.NameOf(SeedingProcess.PeerKind, request.Tag, port), "Start-MurderSeeding", parameters, TimeSpan.FromSeconds(120), cancellation, agentOnly: verified, agentEnvironment: DetachedProcess.TransferEnvironment);
        }
        catch (MurderException error)
        {
            // The release still deploys; only the after-download seeding is missing.
            warnings.Enqueue($"Could not keep seeding '{request.Tag}' after the download ({error.ErrorId}): {error.Message}");
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The run in the module's agent: the download, verification and extraction happen there, this
    /// session shows its progress (from a status file) and returns its result or error; afterwards
    /// the same agent process keeps seeding for -SeedSeconds (no hand-over to a second process).
    /// The agent stops with this session if it ends before the run does.
    /// </summary>
    private PeerRunResult RunInAgent(AgentHost agent, PeerRunRequest request)
    {
        DateTime started = DateTime.UtcNow;
        PeerStatus? status = null;
        PeerStatus final = RunWithProgress(
            token => AgentPeerRun.Run(BackgroundProcessStore.Default(), agent, request, SeedSeconds, _invokedAtUtc, read => status = read, token),
            () => status is null ? null : Describe(status, DateTime.UtcNow - started));
        if (final.ToException() is MurderException error)
        {
            ThrowTerminatingError(ToErrorRecord(error));
        }

        return final.Result!;
    }

    private static ProgressRecord Describe(PeerStatus progress, TimeSpan elapsed)
    {
        string activity = "Invoke-MurderPeer";
        SwarmStatistics? statistics = progress.Statistics;
        if (progress.Stage != PeerRunStage.Downloading || statistics is null)
        {
            return new ProgressRecord(1, activity, progress.Stage switch
            {
                PeerRunStage.Checking => "Checking what is already downloaded",
                PeerRunStage.HandingOver => "Starting a background process to keep seeding",
                PeerRunStage.Extracting => "Extracting",
                _ => progress.Stage.ToString(),
            });
        }

        double rate = elapsed.TotalSeconds > 0 ? statistics.Downloaded / elapsed.TotalSeconds : 0;
        var record = new ProgressRecord(1, activity, $"{ByteFormatter.Format(statistics.BytesHave)} of {ByteFormatter.Format(statistics.TotalBytes)} at {ByteFormatter.Format(rate)}/s from {statistics.ConnectedPeers} peers")
        {
            PercentComplete = (int)(statistics.BytesHave * 100 / Math.Max(1, statistics.TotalBytes)),
        };
        if (rate > 0)
        {
            record.SecondsRemaining = (int)((statistics.TotalBytes - statistics.BytesHave) / rate);
        }

        return record;
    }
}
