using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Storage;
using Murder.Core.Swarm;

namespace Murder.Agent;

/// <summary>
/// Invoke-MurderPeer's download, verification and extraction, run by the agent for the cmdlet that
/// started it: progress and the result (or the error) go to a status file the cmdlet polls. Once
/// the artifact is verified, the same process and port keep seeding for SeedSeconds as a lingering
/// peer: no second process, no second verification, no reconnecting. While the run works it
/// follows its parent: if the Invoke-MurderPeer that started it ends (Ctrl+C, a dropped SSH
/// session), the run stops as it would have in-process, keeping what was downloaded for a resume.
/// </summary>
internal static class PeerCommand
{
    // A progress bar's pace: each write is a file creation and a rename, and each wakes the cmdlet.
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(BackgroundProcessStore store, AgentArguments arguments, Action<string> log, CancellationToken stopping)
    {
        string statusPath = arguments.Require("StatusPath");
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
        };

        using (Process self = Process.GetCurrentProcess())
        {
            DateTime startedUtc = self.StartTime.ToUniversalTime();
            string invoked = arguments.Get("InvokedAtUtcTicks") is string ticks && long.TryParse(ticks, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
                ? $", {(startedUtc - new DateTime(value, DateTimeKind.Utc)).TotalSeconds:0.0} s after Invoke-MurderPeer began"
                : string.Empty;
            log($"Fetching '{request.Tag}' (agent process {Environment.ProcessId}, started {(DateTime.UtcNow - startedUtc).TotalSeconds:0.0} s ago{invoked}).");
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var reporting = new CancellationTokenSource();
        var progress = new PeerRunProgress();
        Task watcher = FollowParentAsync(arguments.GetInt("ParentProcessId"), run, reporting.Token);
        Task reporter = ReportAsync(statusPath, progress, reporting.Token);
        SeedingHost? lingering = null;
        PeerStatus final;
        try
        {
            TorrentMetaInfo torrent = PeerRun.Prepare(request);
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
            final = new PeerStatus { Stage = PeerRunStage.Done, Result = result };
            await FinishReportingAsync(reporting, reporter, watcher, statusPath, final).ConfigureAwait(false);
            log($"'{request.Tag}' is in {result.Destination} ({result.Bytes:N0} bytes in {result.Duration.TotalSeconds:0.0} s).");
            if (lingering is not null)
            {
                log($"Seeding '{request.Tag}' on port {lingering.Record.Port} for {seedSeconds} s.");
                await lingering.RunAsync(stopping).ConfigureAwait(false);
                log($"Stopped seeding '{request.Tag}'.");
            }

            return 0;
        }
        catch (Exception error) when (error is MurderException or OperationCanceledException)
        {
            MurderException reported = error as MurderException
                ?? new MurderException("PeerStopped", MurderErrorCategory.OperationStopped, $"The download of '{request.Tag}' was stopped; what was downloaded is kept and resumed on the next run.");
            await FinishReportingAsync(reporting, reporter, watcher, statusPath, PeerStatus.Failed(reported)).ConfigureAwait(false);
            log($"{reported.ErrorId}: {reported.Message}");
            return 1;
        }
        finally
        {
            if (lingering is not null)
            {
                await lingering.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task FinishReportingAsync(CancellationTokenSource reporting, Task reporter, Task watcher, string statusPath, PeerStatus final)
    {
        await reporting.CancelAsync().ConfigureAwait(false);
        await reporter.ConfigureAwait(false);
        await watcher.ConfigureAwait(false);
        // The cmdlet may be reading the file at this moment (Windows): a few tries.
        PeerStatusFile.WriteFinal(statusPath, final, attempts: 40);
    }

    private static async Task ReportAsync(string statusPath, PeerRunProgress progress, CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(ReportInterval);
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
