using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Swarm;

namespace Murder.Agent;

/// <summary>
/// Invoke-MurderPeer's download, verification and extraction in the agent: the one process a peer
/// host runs for a deploy. It reports its stage, bytes and rate to the tracker's deploy ledger (at
/// every stage change and every interval), and when a local Invoke-MurderPeer started it, also
/// writes progress and the result to the status file that cmdlet polls and follows that cmdlet
/// (if it ends, the run stops and keeps what was downloaded). Started over SSH it follows nobody:
/// the control machine reads the ledger. Once the artifact is verified, the same process and port
/// keep seeding for SeedSeconds as a lingering peer (with UntilHostsDone, until the deploy ledger
/// shows that many hosts done, SeedSeconds at most), then report done.
/// </summary>
internal static class PeerCommand
{
    // A progress bar's pace: each write is a file creation and a rename, and each wakes the cmdlet.
    private static readonly TimeSpan StatusInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(BackgroundProcessStore store, AgentArguments arguments, Action<string> log, CancellationToken stopping)
    {
        string? statusPath = arguments.Get("StatusPath");
        int seedSeconds = arguments.GetInt("SeedSeconds");
        var request = new PeerRunRequest
        {
            Tag = arguments.Require("Tag"),
            TorrentPath = arguments.Require("TorrentPath"),
            TempPath = arguments.Require("TempPath"),
            DestinationPath = arguments.Require("DestinationPath"),
            NoTagDirectory = arguments.GetBool("NoTagDirectory"),
            ReplaceExisting = arguments.GetBool("UnsafePleaseDelete"),
            StallTimeout = TimeSpan.FromSeconds(arguments.GetInt("StallTimeoutSeconds", 300)),
            Swarm = new SwarmSettings { ListenPort = arguments.GetInt("Port") },
            ReportHost = arguments.Get("ReportHost"),
            UntilHostsDone = arguments.GetInt("UntilHostsDone"),
            RemoveTempFiles = arguments.GetBool("RemoveTempFiles"),
        };

        using (Process self = Process.GetCurrentProcess())
        {
            DateTime startedUtc = self.StartTime.ToUniversalTime();
            string invoked = PeerLaunch.ParseInvokedAt(arguments.Get(PeerLaunch.InvokedAtParameter)) is DateTime invokedAt
                ? $", {(startedUtc - invokedAt).TotalSeconds:0.00} s after Invoke-MurderPeer began"
                : string.Empty;
            log($"Fetching '{request.Tag}' (agent process {Environment.ProcessId}, started {(DateTime.UtcNow - startedUtc).TotalSeconds:0.0} s ago{invoked}).");
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var following = new CancellationTokenSource();
        var progress = new PeerRunProgress();
        Task watcher = FollowParentAsync(arguments.GetInt("ParentProcessId"), run, following.Token);
        Task status = statusPath is null ? Task.CompletedTask : WriteStatusAsync(statusPath, progress, following.Token);
        SeedingHost? lingering = null;
        TorrentMetaInfo? torrent = TryLoad(request.TorrentPath);
        using DeployReporter? reporter = torrent is null ? null : PeerReports.For(torrent, request.ReportHost, log);
        DeployReportLoop? reports = reporter is null ? null : DeployReportLoop.Start(reporter, () => progress.ToReport(torrent!.TotalLength, lingering is not null));
        try
        {
            torrent = PeerRun.Prepare(request);
            using HttpSwarmTracker tracker = HttpSwarmTracker.For(torrent);
            PeerRunResult result = await PeerRun.RunAsync(request, tracker, null, progress, run.Token, (swarm, pieces) =>
            {
                if (seedSeconds <= 0)
                {
                    return false;
                }

                lingering = SeedingHost.Adopt(store, request.Tag, request.TorrentPath, PeerRun.ArtifactPath(request), torrent, swarm, pieces, TimeSpan.FromSeconds(seedSeconds));
                return true;
            }, log).ConfigureAwait(false);
            await StopFollowingAsync(following, status, watcher, statusPath, new PeerStatus { Stage = PeerRunStage.Done, Result = result }).ConfigureAwait(false);
            log(result.AlreadyDeployed
                ? $"'{request.Tag}' (the same release) is already in {result.Destination}; nothing was downloaded."
                : $"'{request.Tag}' is in {result.Destination} ({result.Bytes:N0} bytes in {result.Duration.TotalSeconds:0.0} s).");
            if (!result.AlreadyDeployed)
            {
                // The figures a fleet's ledger does not carry, for whoever reads the host's log (the swarm benchmark).
                log(string.Create(CultureInfo.InvariantCulture, $"Download: first piece {result.FirstPieceAtUtc:o}, verified {result.VerifiedAtUtc:o}, received {result.BytesReceived} bytes ({result.BytesWasted} wasted, {result.BytesFromSeeders} from seeders, {result.BytesFromPeers} from peers)."));
            }

            if (lingering is not null && request.UntilHostsDone > 0)
            {
                log($"Seeding '{request.Tag}' on port {lingering.Record.Port} until the deploy ledger shows {request.UntilHostsDone} host(s) done, {seedSeconds} s at most.");
                var policy = new LingerUntilDone(request.UntilHostsDone, TimeSpan.FromSeconds(seedSeconds), DateTime.UtcNow);
                await LingerWatch.SeedAsync(lingering, torrent, policy, log, stopping).ConfigureAwait(false);
                log($"Stopped seeding '{request.Tag}'.");
            }
            else if (lingering is not null)
            {
                log($"Seeding '{request.Tag}' on port {lingering.Record.Port} for {seedSeconds} s.");
                await lingering.RunAsync(stopping).ConfigureAwait(false);
                log($"Stopped seeding '{request.Tag}'.");
            }

            // Stopped and cleaned before the last word: whoever reads `done` finds the host quiet.
            lingering = await EndAsync(request, lingering, log).ConfigureAwait(false);
            if (reports is not null)
            {
                await reports.FinishAsync(new DeployReport { Stage = DeployStage.Done, Downloaded = result.Bytes }).ConfigureAwait(false);
            }

            return 0;
        }
        catch (Exception error) when (error is MurderException or OperationCanceledException)
        {
            MurderException reported = error as MurderException
                ?? new MurderException("PeerStopped", MurderErrorCategory.OperationStopped, $"The download of '{request.Tag}' was stopped; what was downloaded is kept and resumed on the next run.");
            await StopFollowingAsync(following, status, watcher, statusPath, PeerStatus.Failed(reported)).ConfigureAwait(false);
            lingering = await EndAsync(request, lingering, log).ConfigureAwait(false);
            if (reports is not null)
            {
                DeployReport now = progress.ToReport(torrent?.TotalLength ?? 0, lingering: false);
                await reports.FinishAsync(now with { Stage = DeployStage.Failed, ErrorId = reported.ErrorId, Message = reported.Message }).ConfigureAwait(false);
            }

            log($"{reported.ErrorId}: {reported.Message}");
            return 1;
        }
        finally
        {
            if (reports is not null)
            {
                await reports.DisposeAsync().ConfigureAwait(false);
            }

            if (lingering is not null)
            {
                await lingering.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops the lingering seeding and, when asked, removes the run's temporary files; returns null (nothing left to dispose).</summary>
    private static async Task<SeedingHost?> EndAsync(PeerRunRequest request, SeedingHost? lingering, Action<string> log)
    {
        if (lingering is not null)
        {
            await lingering.DisposeAsync().ConfigureAwait(false);
        }

        if (request.RemoveTempFiles)
        {
            TempFiles.Remove([request.TorrentPath, PeerRun.ArtifactPath(request)], log);
        }

        return null;
    }

    private static TorrentMetaInfo? TryLoad(string torrentPath)
    {
        try
        {
            return TorrentLoader.Load(torrentPath);
        }
        catch (MurderException)
        {
            // Prepare reports it; with no torrent there is no tracker to report to.
            return null;
        }
    }

    private static async Task StopFollowingAsync(CancellationTokenSource following, Task status, Task watcher, string? statusPath, PeerStatus final)
    {
        await following.CancelAsync().ConfigureAwait(false);
        await status.ConfigureAwait(false);
        await watcher.ConfigureAwait(false);
        if (statusPath is not null)
        {
            // The cmdlet may be reading the file at this moment (Windows): a few tries.
            PeerStatusFile.WriteFinal(statusPath, final, attempts: 40);
        }
    }

    private static async Task WriteStatusAsync(string statusPath, PeerRunProgress progress, CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(StatusInterval);
        byte[]? written = null;
        try
        {
            do
            {
                try
                {
                    written = PeerStatusFile.WriteIfChanged(statusPath, PeerStatus.From(progress), written);
                }
                catch (Exception error) when (error is System.IO.IOException or UnauthorizedAccessException)
                {
                    // Held by the reader this moment; the next tick writes again.
                }
            }
            while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task FollowParentAsync(int parentProcessId, CancellationTokenSource run, CancellationToken until)
    {
        if (parentProcessId <= 0)
        {
            return;
        }

        try
        {
            using Process parent = Process.GetProcessById(parentProcessId);
            while (!ProcessLiveness.HasExited(parent))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), until).ConfigureAwait(false);
            }

            await run.CancelAsync().ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            // Already gone.
            await run.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }
}
