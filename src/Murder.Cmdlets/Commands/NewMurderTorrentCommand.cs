using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Packaging;
using Murder.Core.Tracker;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// New-MurderTorrent: packs a directory into TAG.tgz (or takes a file as it is) and writes
/// TAG.tgz.torrent beside it, in TempPath, then registers it with the tracker so the default
/// (registered-only) tracker serves it: the one running on this machine, or over SSH the
/// tracker's host. With -ComputerName the torrent comes back to this machine's TempPath, as
/// Murder's create_torrent brought it back: it is what Invoke-MurderPeer hands to the peers.
/// </summary>
[Cmdlet(VerbsCommon.New, "MurderTorrent", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TorrentCreationResult))]
public sealed class NewMurderTorrentCommand : MurderFleetCmdlet
{
    /// <summary>The deploy tag: letters, digits, '.', '_' and '-'.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Tag { get; set; } = string.Empty;

    /// <summary>The directory to deploy, or a file to use as the artifact as it is.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "FilesPath")]
    public string Path { get; set; } = string.Empty;

    /// <summary>The tracker: http://HOST:PORT/announce or HOST:PORT.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string Tracker { get; set; } = string.Empty;

    /// <summary>Where TAG.tgz and TAG.tgz.torrent are written; TempPath from the configuration by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? OutputDirectory { get; set; }

    /// <summary>Bytes per piece: a power of two from 16 KiB to 64 MiB. Chosen from the size when left out.</summary>
    [Parameter]
    public int PieceLength { get; set; }

    /// <summary>How hard to compress the artifact.</summary>
    [Parameter]
    public ArtifactCompression CompressionLevel { get; set; } = ArtifactCompression.Fastest;

    /// <summary>Replace an existing artifact and torrent for the tag.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Leave the BEP 27 private flag off, so clients may also use DHT and peer exchange.</summary>
    [Parameter]
    public SwitchParameter Public { get; set; }

    /// <summary>The swarm secret the tracker checks; the torrent's announce URL gets the key derived from it.</summary>
    [Parameter]
    public System.Security.SecureString? SwarmSecret { get; set; }

    /// <summary>Do not register the torrent with the tracker.</summary>
    [Parameter]
    public SwitchParameter NoRegister { get; set; }

    private readonly List<FleetJob> _creations = new();
    private readonly ConcurrentQueue<PendingRegistration> _registrations = new();
    private readonly Dictionary<string, string> _seederOfTag = new(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (IsRemote)
        {
            QueueRemoteCreation();
            return;
        }

        var request = new TorrentCreationRequest
        {
            Tag = Tag,
            SourcePath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
            Tracker = Tracker,
            OutputDirectory = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutputDirectory ?? Configuration.LocalTempPath()),
            PieceLength = MyInvocation.BoundParameters.ContainsKey(nameof(PieceLength)) ? PieceLength : null,
            Compression = CompressionLevel,
            Force = Force,
            Private = !Public,
            SwarmSecret = SwarmSecret is null ? null : SecretBytes.From(SwarmSecret),
            CreatedBy = "Murder " + typeof(NewMurderTorrentCommand).Assembly.GetName().Version?.ToString(3),
        };

        TorrentCreationPlan plan = Validate(() => TorrentCreator.Plan(request));
        string action = plan.SourceIsFile
            ? $"Create torrent for tag '{plan.Request.Tag}' from file '{plan.SourcePath}'"
            : $"Pack '{plan.SourcePath}' into a deploy artifact and torrent for tag '{plan.Request.Tag}'";
        if (!ShouldProcess(plan.ArtifactPath, action))
        {
            return;
        }

        var progress = new TorrentCreationProgress();
        var clock = Stopwatch.StartNew();
        TorrentCreationResult result = RunWithProgress(
            token => TorrentCreator.Create(plan, progress, token),
            () => Describe(plan, progress, clock.Elapsed));

        foreach (string skipped in result.Skipped)
        {
            WriteWarning($"Not packed: {skipped}.");
        }

        if (!NoRegister)
        {
            RegisterLocally(result);
        }

        WriteObject(result);
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        base.EndProcessing();
        RunFleet(_creations, "New-MurderTorrent", WriteOutcome);
        var jobs = new List<FleetJob>();
        var pending = new Dictionary<FleetJob, PendingRegistration>();
        while (_registrations.TryDequeue(out PendingRegistration? registration))
        {
            var parameters = new List<KeyValuePair<string, object?>> { new("Port", registration.Port), new("Force", true) };
            string temp = Configuration.TempPath, module = Configuration.RemoteMurderPath, torrent = registration.LocalTorrent;
            // On the seeder itself the torrent is already there: nothing to copy, nothing left over.
            var job = registration.OnSeeder is string there
                ? new FleetJob(registration.Tracker, RemoteCmdlet("Register-MurderTorrent", new List<KeyValuePair<string, object?>>(parameters) { new("Path", there) }))
                : new FleetJob(registration.Tracker, (e, a, t) => RegisterMurderTorrentCommand.RegisterRemotelyAsync(e, a, torrent, temp, module, parameters, t));
            jobs.Add(job);
            pending[job] = registration;
        }

        RunFleet(jobs, "Registering the torrent", (job, outcome) =>
        {
            if (outcome.Error is not null)
            {
                WriteWarning(NotRegistered(pending[job], outcome.Error.Message));
                return;
            }

            foreach (string warning in outcome.Warnings)
            {
                WriteWarning($"{job.Target.ComputerName}: {warning}");
            }

            WriteVerbose($"Registered {pending[job].LocalTorrent} with the tracker on {job.Target.ComputerName}.");
        });
    }

    /// <summary>Registers with the tracker on this machine on the announce URL's port, or says what to run instead.</summary>
    private void RegisterLocally(TorrentCreationResult result)
    {
        TorrentMetaInfo torrent = Validate(() => TorrentLoader.Load(result.TorrentPath));
        var progress = new ProgressRecord(2, "New-MurderTorrent", $"Registering {torrent.Name} with the tracker on this machine");
        WriteProgress(progress);
        try
        {
            // The torrent just made is the tag's current release: it replaces an earlier one of the tag.
            TorrentRegistration? registration = TorrentRegistrar.RegisterWithLocalTracker(BackgroundProcessStore.Default(), result.TorrentPath, torrent, force: true, Cancellation);
            if (registration is null)
            {
                int port = TorrentRegistrar.AnnouncePort(torrent) ?? AnnounceUrl.DefaultPort;
                WriteWarning($"'{torrent.Name}' (info-hash {result.InfoHash}) is not registered: no Murder tracker runs on this machine on port {port}, and Murder's tracker serves registered torrents only. Register it: {TrackerRefusal.HowToRegister(result.TorrentPath, port, TrackerRefusal.TrackerHostOf(torrent.Announce))}.");
                return;
            }

            RegisterMurderTorrentCommand.WriteRegistrationWarnings(this, registration);
        }
        catch (Exception error) when (error is MurderException or IOException or UnauthorizedAccessException)
        {
            int port = TorrentRegistrar.AnnouncePort(torrent) ?? AnnounceUrl.DefaultPort;
            WriteWarning($"'{torrent.Name}' could not be registered with the tracker on port {port}: {error.Message} Register it: {TrackerRefusal.HowToRegister(result.TorrentPath, port, null)}.");
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }

    /// <summary>
    /// With -ComputerName: makes the torrent on each host (in its TempPath unless -OutputDirectory
    /// names a directory there), brings TAG.tgz.torrent back to this machine's TempPath, and queues
    /// its registration with the tracker's host.
    /// </summary>
    private void QueueRemoteCreation()
    {
        string tag = Validate(() => DeployTag.Validate(Tag));
        // A tracker the remote command refuses is reported by it; there is then nothing to register.
        Uri? announce = Uri.TryCreate(TryNormalize(Tracker), UriKind.Absolute, out Uri? url) ? url : null;
        List<KeyValuePair<string, object?>> parameters = RemoteParameters(nameof(OutputDirectory), nameof(NoRegister));
        parameters.Add(new(nameof(OutputDirectory), OutputDirectory ?? Configuration.TempPath));
        // This machine registers it with the tracker's host, whichever host that is.
        parameters.Add(new(nameof(NoRegister), true));
        string localTorrent = System.IO.Path.Combine(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Configuration.LocalTempPath()), DeployTag.TorrentFileName(tag));
        string module = Configuration.RemoteMurderPath;
        foreach (FleetTarget seeder in RequestedTargets())
        {
            if (_seederOfTag.TryGetValue(tag, out string? other) && !other.Equals(seeder.ComputerName, StringComparison.OrdinalIgnoreCase))
            {
                WriteError(ToErrorRecord(new MurderException("TagOnTwoSeeders", MurderErrorCategory.InvalidArgument, $"'{tag}' is already being made on {other}; a release has one seeder. Give {seeder.ComputerName} another tag.") { TargetObject = seeder.ComputerName }));
                continue;
            }

            if (!ShouldProcess(seeder.ComputerName, $"Pack '{Path}' into a deploy artifact and torrent for tag '{tag}', and copy the torrent to '{localTorrent}'"))
            {
                continue;
            }

            _seederOfTag[tag] = seeder.ComputerName;
            FleetTarget tracker = announce is null ? seeder : TrackerTarget(announce, seeder);
            bool register = !NoRegister && announce is not null;
            int port = announce?.Port ?? AnnounceUrl.DefaultPort;
            _creations.Add(new FleetJob(seeder, async (executor, activity, token) =>
            {
                HostOutcome made = await RunRemoteCmdletAsync(executor, module, "New-MurderTorrent", parameters, token).ConfigureAwait(false);
                if (made.Error is null && made.Objects.FirstOrDefault() is PSObject result && result.Properties["TorrentPath"]?.Value is string remoteTorrent)
                {
                    activity.Stage = "Copying the torrent back";
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(localTorrent)!);
                    await executor.DownloadFileAsync(remoteTorrent, localTorrent, token).ConfigureAwait(false);
                    result.Properties.Add(new PSNoteProperty("LocalTorrentPath", localTorrent));
                    if (register)
                    {
                        _registrations.Enqueue(new PendingRegistration(tracker, localTorrent, port, ReferenceEquals(tracker, seeder) ? remoteTorrent : null));
                    }
                }

                return made;
            }));
        }
    }

    /// <summary>The host to register with (see FleetConfiguration.RegistrationHost); the seeder's own target when it is the seeder or loopback.</summary>
    private FleetTarget TrackerTarget(Uri announce, FleetTarget seeder) =>
        Configuration.RegistrationHost(announce) is FleetHost tracker && !tracker.Equals(seeder.Host) && !tracker.Name.Equals(seeder.ComputerName, StringComparison.OrdinalIgnoreCase)
            ? FleetTarget.For(tracker)
            : seeder;

    private static string? TryNormalize(string tracker)
    {
        try
        {
            return AnnounceUrl.Normalize(tracker);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string NotRegistered(PendingRegistration registration, string why) =>
        $"'{System.IO.Path.GetFileName(registration.LocalTorrent)}' is not registered with the tracker ({why}), and Murder's tracker serves registered torrents only. Start the tracker if it is not running (Start-MurderTracker), then register it: {TrackerRefusal.HowToRegister(registration.LocalTorrent, registration.Port, registration.Tracker.ComputerName)}.";

    private sealed record PendingRegistration(FleetTarget Tracker, string LocalTorrent, int Port, string? OnSeeder);

    private static ProgressRecord? Describe(TorrentCreationPlan plan, TorrentCreationProgress progress, TimeSpan elapsed)
    {
        long total = progress.EstimatedTotalBytes;
        long done = progress.BytesProcessed;
        if (total <= 0)
        {
            return new ProgressRecord(1, $"Packing {plan.Request.Tag}", "Scanning " + plan.SourcePath);
        }

        double rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        var record = new ProgressRecord(1, $"Packing {plan.Request.Tag}", $"{FormatBytes(done)} of about {FormatBytes(total)} at {FormatBytes(rate)}/s, {FormatBytes(progress.BytesWritten)} written")
        {
            PercentComplete = (int)Math.Min(100, done * 100 / total),
        };
        if (rate > 0 && total > done)
        {
            record.SecondsRemaining = (int)((total - done) / rate);
        }

        return record;
    }
}
