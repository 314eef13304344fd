using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>
/// Murder's peer task on one machine: check the target before anything is fetched, resume what is
/// already downloaded, download TAG.tgz through the swarm (every piece verified), let the caller
/// start a lingering seeder, and extract into a staging directory that moves into place only when
/// complete.
/// </summary>
public static class PeerRun
{
    /// <summary>Validates a request without side effects; throws <see cref="MurderException"/> with the reason.</summary>
    public static TorrentMetaInfo Prepare(PeerRunRequest request)
    {
        DeployTag.Validate(request.Tag);
        TorrentMetaInfo torrent = TorrentLoader.Load(request.TorrentPath);
        if (torrent.IsMultiFile)
        {
            throw new MurderException("MultiFileTorrentNotSupported", MurderErrorCategory.InvalidData, $"'{request.TorrentPath}' is a multi-file torrent; Murder deploys one artifact (TAG.tgz). Make the torrent with New-MurderTorrent.")
            {
                TargetObject = request.TorrentPath,
            };
        }

        string target = ArtifactExtractor.GetTargetPath(Extraction(request));
        if (!request.ReplaceExisting && (File.Exists(target) || (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()))
            && !IsAlreadyDeployed(request, torrent))
        {
            throw new MurderException("DestinationNotEmpty", MurderErrorCategory.ResourceExists, $"'{target}' is not empty; nothing was downloaded. Use -UnsafePleaseDelete to replace its content, or choose another destination or tag.")
            {
                TargetObject = target,
            };
        }

        return torrent;
    }

    /// <summary>Whether the target already holds this very release (same info-hash), put there by an earlier run.</summary>
    public static bool IsAlreadyDeployed(PeerRunRequest request, TorrentMetaInfo torrent)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(torrent);
        return !request.ReplaceExisting && DeployedRelease.Holds(StateDirectory(request), ArtifactExtractor.GetTargetPath(Extraction(request)), torrent.InfoHash.ToHex());
    }

    internal static string StateDirectory(PeerRunRequest request) => request.StateDirectory ?? Hosting.MurderStateDirectory.Resolve();

    /// <summary>Where TAG.tgz is downloaded.</summary>
    public static string ArtifactPath(PeerRunRequest request) => Path.Combine(request.TempPath, DeployTag.ArtifactFileName(request.Tag));

    /// <summary>Runs the peer. <paramref name="afterDownload"/> runs once the artifact is verified, before extraction (Murder's fork-and-seed).</summary>
    /// <param name="request">What to fetch and where to extract it.</param>
    /// <param name="tracker">The tracker the swarm announces to.</param>
    /// <param name="afterDownload">Runs once the artifact is verified, before extraction.</param>
    /// <param name="progress">Live state, for a progress bar.</param>
    /// <param name="cancellation">Stops the run; what was downloaded is kept for a resume.</param>
    /// <param name="diagnostic">Receives the swarm's log lines (announces, failed connections, bans).</param>
    /// <param name="keepSeeding">
    /// Called once the artifact is verified with the swarm and its store; returning true takes them
    /// over (the caller keeps seeding from the same process and port, and disposes them), false
    /// lets the run close them before extracting.
    /// </param>
    public static async Task<PeerRunResult> RunAsync(
        PeerRunRequest request,
        ISwarmTracker tracker,
        Func<TorrentMetaInfo, string, CancellationToken, Task>? afterDownload,
        PeerRunProgress progress,
        CancellationToken cancellation,
        Func<TorrentSwarm, FilePieceStore, bool>? keepSeeding = null,
        Action<string>? diagnostic = null)
    {
        var clock = Stopwatch.StartNew();
        TorrentMetaInfo torrent = Prepare(request);
        string artifact = ArtifactPath(request);
        using PeerRunLock running = PeerRunLock.Acquire(request);
        if (IsAlreadyDeployed(request, torrent))
        {
            progress.Enter(PeerRunStage.Done);
            return AlreadyDeployed(request, torrent, artifact, clock.Elapsed);
        }

        Directory.CreateDirectory(request.TempPath);
        progress.Enter(PeerRunStage.Checking);
        Bitfield have;
        SwarmStatistics statistics;
        long resumed;
        DateTime swarmStartedUtc;
        DateTime verifiedUtc;
        // A file that is new (or empty) holds nothing: skip reading and hashing F bytes of zeros,
        // which on a loaded machine delays the first request by seconds.
        bool fresh = !File.Exists(artifact) || new FileInfo(artifact).Length == 0;
        FilePieceStore store = OpenStore(artifact, torrent);
        TorrentSwarm? swarm = null;
        bool kept = false;
        try
        {
            have = fresh ? new Bitfield(torrent.PieceCount) : await PieceChecker.CheckAsync(torrent, store, null, cancellation).ConfigureAwait(false);
            resumed = Math.Min(torrent.TotalLength, have.CountSet * (long)torrent.PieceLength);
            progress.Enter(PeerRunStage.Downloading);
            swarmStartedUtc = DateTime.UtcNow;
            // A tracker that keeps refusing the torrent ends the run with TorrentNotRegistered, not a stall.
            var watched = new RefusalWatchingTracker(tracker, torrent, request.TorrentPath);
            swarm = TorrentSwarm.Start(torrent, store, have, request.Swarm, watched);
            if (diagnostic is not null)
            {
                swarm.Diagnostic += diagnostic;
            }

            progress.Attach(swarm);
            await WaitForCompletionAsync(swarm, request, watched, cancellation).ConfigureAwait(false);
            verifiedUtc = DateTime.UtcNow;
            statistics = swarm.GetStatistics();
            progress.Attach(null);
            if (afterDownload is not null)
            {
                progress.Enter(PeerRunStage.HandingOver);
                await afterDownload(torrent, artifact, cancellation).ConfigureAwait(false);
            }

            kept = keepSeeding is not null && keepSeeding(swarm, store);
        }
        finally
        {
            progress.Attach(null);
            if (!kept)
            {
                if (swarm is not null)
                {
                    await swarm.DisposeAsync().ConfigureAwait(false);
                }

                await store.DisposeAsync().ConfigureAwait(false);
            }
        }

        TimeSpan downloaded = clock.Elapsed;
        progress.Enter(PeerRunStage.Extracting);
        ArtifactExtractionResult extracted = await Task.Run(() => ArtifactExtractor.Extract(Extraction(request), cancellation), cancellation).ConfigureAwait(false);
        DeployedRelease.Record(StateDirectory(request), ArtifactExtractor.GetTargetPath(Extraction(request)), torrent.InfoHash.ToHex());
        progress.Enter(PeerRunStage.Done);
        TimeSpan transfer = statistics.CompletedAfter ?? downloaded;
        return new PeerRunResult
        {
            Tag = request.Tag,
            Destination = extracted.DestinationPath,
            Bytes = torrent.TotalLength,
            Duration = clock.Elapsed,
            Rate = transfer.TotalSeconds > 0 ? (torrent.TotalLength - resumed) / transfer.TotalSeconds : 0,
            PeersSeen = statistics.PeersSeen,
            BytesFromSeeders = statistics.BytesFromSeeds,
            BytesFromPeers = statistics.BytesFromPeers,
            BytesResumed = resumed,
            DownloadDuration = downloaded,
            ExtractDuration = clock.Elapsed - downloaded,
            Files = extracted.Files,
            ArtifactPath = artifact,
            InfoHash = torrent.InfoHash.ToHex(),
            ReplacedExisting = extracted.ReplacedExisting,
            BytesReceived = statistics.Downloaded,
            BytesWasted = statistics.BytesWasted,
            FirstPieceAtUtc = statistics.FirstPieceAfter is TimeSpan first ? swarmStartedUtc + first : null,
            VerifiedAtUtc = verifiedUtc,
        };
    }

    private static PeerRunResult AlreadyDeployed(PeerRunRequest request, TorrentMetaInfo torrent, string artifact, TimeSpan elapsed) => new()
    {
        Tag = request.Tag,
        Destination = ArtifactExtractor.GetTargetPath(Extraction(request)),
        Bytes = torrent.TotalLength,
        Duration = elapsed,
        Rate = 0,
        PeersSeen = 0,
        BytesFromSeeders = 0,
        BytesFromPeers = 0,
        BytesResumed = torrent.TotalLength,
        DownloadDuration = TimeSpan.Zero,
        ExtractDuration = TimeSpan.Zero,
        Files = 0,
        ArtifactPath = artifact,
        InfoHash = torrent.InfoHash.ToHex(),
        AlreadyDeployed = true,
    };

    private static async Task WaitForCompletionAsync(TorrentSwarm swarm, PeerRunRequest request, RefusalWatchingTracker tracker, CancellationToken cancellation)
    {
        long lastDownloaded = -1;
        var sinceProgress = Stopwatch.StartNew();
        while (!swarm.Completion.IsCompleted)
        {
            await Task.WhenAny(swarm.Completion, Task.Delay(TimeSpan.FromMilliseconds(500), cancellation)).ConfigureAwait(false);
            cancellation.ThrowIfCancellationRequested();
            if (tracker.Refused is MurderException refused)
            {
                throw refused;
            }

            SwarmStatistics statistics = swarm.GetStatistics();
            if (statistics.Downloaded != lastDownloaded)
            {
                lastDownloaded = statistics.Downloaded;
                sinceProgress.Restart();
            }
            else if (sinceProgress.Elapsed > request.StallTimeout && !swarm.Completion.IsCompleted)
            {
                throw new MurderException(
                    "DownloadStalled",
                    MurderErrorCategory.OperationStopped,
                    $"{Environment.MachineName}: no data arrived for '{request.Tag}' in {request.StallTimeout.TotalSeconds:0} s ({statistics.PiecesHave} of {statistics.PieceCount} pieces, {statistics.ConnectedPeers} peers connected, {statistics.PeersSeen} seen). Check that a seeder runs (Start-MurderSeeding) and that the tracker knows it (Get-MurderTracker); what was downloaded is kept and resumed on the next run.")
                {
                    TargetObject = request.Tag,
                };
            }
        }

        await swarm.Completion.ConfigureAwait(false);
    }

    private static ArtifactExtractionRequest Extraction(PeerRunRequest request) => new()
    {
        ArchivePath = ArtifactPath(request),
        DestinationPath = request.DestinationPath,
        Tag = request.Tag,
        NoTagDirectory = request.NoTagDirectory,
        ReplaceExisting = request.ReplaceExisting,
    };

    private static FilePieceStore OpenStore(string artifact, TorrentMetaInfo torrent)
    {
        long existing = File.Exists(artifact) ? new FileInfo(artifact).Length : 0;
        long needed = torrent.TotalLength - Math.Min(existing, torrent.TotalLength);
        long free;
        try
        {
            free = DiskSpace.AvailableBytes(Path.GetDirectoryName(Path.GetFullPath(artifact))!);
        }
        catch (Exception error) when (error is IOException or ArgumentException or UnauthorizedAccessException)
        {
            free = long.MaxValue; // unknown: let the writes tell
        }

        if (free < needed)
        {
            throw new MurderException(
                "InsufficientDiskSpace",
                MurderErrorCategory.WriteError,
                $"{Environment.MachineName}: downloading '{Path.GetFileName(artifact)}' needs {needed:N0} bytes in '{Path.GetDirectoryName(artifact)}', but only {free:N0} are free. Free some space or choose another -TempPath.")
            {
                TargetObject = artifact,
            };
        }

        try
        {
            return FilePieceStore.OpenForDownload(artifact, torrent.TotalLength);
        }
        catch (IOException error)
        {
            throw new MurderException("DownloadFileUnavailable", MurderErrorCategory.WriteError, $"Cannot create '{artifact}': {error.Message}", error) { TargetObject = artifact };
        }
    }
}
