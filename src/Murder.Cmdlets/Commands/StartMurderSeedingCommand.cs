using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading.Tasks;
using Murder.Cmdlets.Hosting;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Start-MurderSeeding: verifies TAG.tgz against its torrent and seeds it from a background process
/// that outlives the session (Murder's start_seeding), or in this session with -Foreground. First it
/// registers the torrent with a tracker running on this machine and asks the torrent's tracker
/// whether it serves it: a tracker that refuses it is an error now, not a seeder that retries.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "MurderSeeding", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(SeedingInfo))]
public sealed class StartMurderSeedingCommand : MurderFleetCmdlet
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentQueue<string> _notes = new();
    private readonly ConcurrentQueue<string> _warnings = new();

    /// <summary>The deploy tag.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Tag { get; set; } = string.Empty;

    /// <summary>The torrent; TEMP/TAG.tgz.torrent by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? TorrentPath { get; set; }

    /// <summary>The artifact; TEMP/TAG.tgz by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ArtifactPath { get; set; }

    /// <summary>The directory (TEMP) that holds TAG.tgz and TAG.tgz.torrent; TempPath from the configuration by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TempPath { get; set; }

    /// <summary>The port peers connect to; a free one by default.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>Seed for this many seconds, then stop (0: until Stop-MurderSeeding).</summary>
    [Parameter]
    [ValidateRange(0, 31_536_000)]
    public int SeedSeconds { get; set; }

    /// <summary>
    /// Stop once the tracker's deploy ledger shows this many hosts seeding, done or failed (0, the
    /// default: no such check). -SeedSeconds is then the maximum; without it, 24 hours.
    /// </summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int UntilHostsDone { get; set; }

    /// <summary>Remove the torrent and the artifact once seeding ends.</summary>
    [Parameter]
    public SwitchParameter RemoveTempFiles { get; set; }

    /// <summary>The most bytes per second to upload, all peers together; 0 (the default) for no limit.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MaxUploadRate { get; set; }

    /// <summary>Seed in this session until Ctrl+C.</summary>
    [Parameter]
    public SwitchParameter Foreground { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (IsRemote)
        {
            // The host reads no murder.psd1 of ours: it gets this configuration's TempPath.
            List<KeyValuePair<string, object?>> remote = RemoteParameters(nameof(TempPath));
            remote.Add(new(nameof(TempPath), TempPath ?? Configuration.TempPath));
            QueueRemote("Start seeding", RemoteCmdlet(MyInvocation.MyCommand.Name, remote));
            return;
        }

        string tag = Validate(() => DeployTag.Validate(Tag));
        string temp = SessionState.Path.GetUnresolvedProviderPathFromPSPath(TempPath ?? Configuration.LocalTempPath());
        string torrentPath = TorrentPath is null ? Path.Combine(temp, DeployTag.TorrentFileName(tag)) : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TorrentPath);
        string artifactPath = ArtifactPath is null ? Path.Combine(temp, DeployTag.ArtifactFileName(tag)) : SessionState.Path.GetUnresolvedProviderPathFromPSPath(ArtifactPath);
        string kind = SeedSeconds > 0 ? SeedingProcess.PeerKind : SeedingProcess.SeederKind;
        BackgroundProcessStore store = BackgroundProcessStore.Default();
        TorrentMetaInfo torrent = Validate(() => TorrentLoader.Load(torrentPath));
        if (!File.Exists(artifactPath))
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("ArtifactNotFound", MurderErrorCategory.ObjectNotFound, $"The artifact '{artifactPath}' does not exist. Create it with New-MurderTorrent, or give -ArtifactPath.") { TargetObject = artifactPath }));
        }

        if (Foreground)
        {
            if (ShouldProcess(artifactPath, $"Seed '{tag}' in this session"))
            {
                EnsureServed(store, kind, torrent, torrentPath);
                RunForeground(store, kind, tag, torrent, torrentPath, artifactPath);
            }

            return;
        }

        if (kind == SeedingProcess.SeederKind && store.Get(kind, tag) is BackgroundProcessRecord running && BackgroundProcessStore.IsRunning(running))
        {
            WriteWarning($"'{tag}' is already being seeded by process {running.ProcessId}; nothing was started.");
            WriteObject(SeedingProcess.ToInfo(running));
            return;
        }

        if (!ShouldProcess(artifactPath, $"Start seeding '{tag}' in the background"))
        {
            return;
        }

        EnsureServed(store, kind, torrent, torrentPath);

        int port = Port != 0 || kind == SeedingProcess.SeederKind ? Port : FreePort.Pick();
        var parameters = new List<KeyValuePair<string, object?>>
        {
            new(nameof(Foreground), true),
            new(nameof(Tag), tag),
            new(nameof(TorrentPath), torrentPath),
            new(nameof(ArtifactPath), artifactPath),
            new(nameof(Port), port),
            new(nameof(SeedSeconds), SeedSeconds),
            new(nameof(MaxUploadRate), MaxUploadRate),
            new(nameof(UntilHostsDone), UntilHostsDone),
            new(nameof(RemoveTempFiles), RemoveTempFiles.IsPresent),
        };
        // Verifying reads the whole artifact: allow a minute plus 50 MB/s.
        TimeSpan timeout = TimeSpan.FromSeconds(60 + (torrent.TotalLength / 50_000_000));
        BackgroundProcessRecord record = RunWithProgress(
            token => BackgroundLauncher.Start(store, kind, SeedingProcess.NameOf(kind, tag, port), "Start-MurderSeeding", parameters, timeout, token, agentEnvironment: DetachedProcess.TransferEnvironment),
            () => new ProgressRecord(1, "Start-MurderSeeding", $"Verifying {FormatBytes(torrent.TotalLength)} and starting to seed '{tag}'"));
        WriteObject(SeedingProcess.ToInfo(record));
    }

    /// <summary>
    /// A seeder (not a lingering peer, whose download already proved the tracker serves it)
    /// registers its torrent with the tracker on this machine, if one runs on the announce port,
    /// then asks the tracker: a refusal is a terminating error (TorrentNotRegistered), an
    /// unreachable tracker a warning (the seeder finds it once it runs).
    /// </summary>
    private void EnsureServed(BackgroundProcessStore store, string kind, TorrentMetaInfo torrent, string torrentPath)
    {
        if (kind != SeedingProcess.SeederKind)
        {
            return;
        }

        MurderException? unasked = RunWithProgress(
            token =>
            {
                try
                {
                    TorrentRegistration? registration = TorrentRegistrar.RegisterWithLocalTracker(store, torrentPath, torrent, force: true, token);
                    if (registration?.ReplacedInfoHash is string replaced)
                    {
                        _notes.Enqueue($"{registration.Name}: the tracker on this machine now serves {registration.InfoHash} instead of the earlier {replaced}.");
                    }
                }
                catch (MurderException error)
                {
                    // The tracker's answer below decides whether seeding starts.
                    _warnings.Enqueue($"Could not register {torrent.Name} with the tracker on this machine ({error.ErrorId}): {error.Message}");
                }

                using var client = new HttpTrackerClient(ProbeTimeout);
                return AnnounceProbe.CheckAsync(client, torrent, torrentPath, token).GetAwaiter().GetResult();
            },
            () => new ProgressRecord(1, "Start-MurderSeeding", $"Asking the tracker whether it serves {torrent.Name}"));
        while (_notes.TryDequeue(out string? note))
        {
            WriteVerbose(note);
        }

        while (_warnings.TryDequeue(out string? warning))
        {
            WriteWarning(warning);
        }

        if (unasked is not null)
        {
            WriteWarning($"Could not ask the tracker whether it serves {torrent.Name} ({unasked.ErrorId}): {unasked.Message} Seeding starts anyway; if the tracker serves registered torrents only, make sure it is registered (Register-MurderTorrent).");
        }
    }

    private void RunForeground(BackgroundProcessStore records, string kind, string tag, TorrentMetaInfo torrent, string torrentPath, string artifactPath)
    {
        var request = new SeedingHostRequest
        {
            Kind = kind,
            Tag = tag,
            Torrent = torrent,
            TorrentPath = torrentPath,
            ArtifactPath = artifactPath,
            Port = Port,
            SeedFor = SeedSeconds > 0 ? TimeSpan.FromSeconds(SeedSeconds) : null,
            MaxUploadRate = MaxUploadRate,
        };
        var checkedPieces = new int[1];
        SeedingHost host = RunWithProgress(
            token => SeedingHost.StartAsync(records, request, new Progress<int>(count => checkedPieces[0] = count), token).GetAwaiter().GetResult(),
            () => new ProgressRecord(1, $"Verifying {tag}", $"{checkedPieces[0]} of {torrent.PieceCount} pieces") { PercentComplete = checkedPieces[0] * 100 / torrent.PieceCount });
        try
        {
            var diagnostics = new ConcurrentQueue<string>();
            host.Diagnostic += diagnostics.Enqueue;
            WriteObject(host.Info);
            Task running = UntilHostsDone > 0
                ? LingerWatch.SeedAsync(host, torrent, new LingerUntilDone(UntilHostsDone, request.SeedFor ?? LingerUntilDone.DefaultSeederMaximum, DateTime.UtcNow), diagnostics.Enqueue, Cancellation, changesSinceStart: kind == SeedingProcess.SeederKind)
                : host.RunAsync(Cancellation);
            while (Task.WaitAny(new[] { running }, TimeSpan.FromMilliseconds(250)) < 0)
            {
                Drain(diagnostics);
            }

            Drain(diagnostics);
        }
        finally
        {
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (RemoveTempFiles)
            {
                TempFiles.Remove([torrentPath, artifactPath], WriteLogLine);
            }
        }
    }

    private void Drain(ConcurrentQueue<string> diagnostics)
    {
        while (diagnostics.TryDequeue(out string? line))
        {
            // Lands in the background process's log.
            WriteLogLine(line);
        }
    }
}
