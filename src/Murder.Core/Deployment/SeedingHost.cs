using System;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;
using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>What a seeding process seeds.</summary>
public sealed record SeedingHostRequest
{
    /// <summary><see cref="SeedingProcess.SeederKind"/> or <see cref="SeedingProcess.PeerKind"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>The torrent, loaded.</summary>
    public required TorrentMetaInfo Torrent { get; init; }

    /// <summary>Where the torrent was loaded from (recorded).</summary>
    public required string TorrentPath { get; init; }

    /// <summary>The artifact seeded.</summary>
    public required string ArtifactPath { get; init; }

    /// <summary>The port to listen on; 0 for a free one.</summary>
    public int Port { get; init; }

    /// <summary>Seed for this long, then stop; null until cancelled.</summary>
    public TimeSpan? SeedFor { get; init; }

    /// <summary>Bytes per second to upload, all peers together; 0 for no limit.</summary>
    public long MaxUploadRate { get; init; }

    /// <summary>
    /// The artifact's stamp when the peer handing over had verified every piece: while the file
    /// still matches it, the check (reading and hashing the whole artifact) is skipped.
    /// </summary>
    public ArtifactStamp? VerifiedArtifact { get; init; }
}

/// <summary>
/// A seeder or lingering peer as a long-running process runs it: the artifact verified against the
/// torrent (ArtifactMismatch otherwise), the swarm started, the process recorded in Murder's state
/// directory, seeding until the time is up or it is cancelled, and the record removed at the end.
/// Start-MurderSeeding -Foreground and the background agent both seed through this.
/// </summary>
public sealed class SeedingHost : IAsyncDisposable
{
    private readonly BackgroundProcessStore _store;
    private readonly FilePieceStore _pieces;
    private readonly TorrentSwarm _swarm;

    private SeedingHost(BackgroundProcessStore store, FilePieceStore pieces, TorrentSwarm swarm, BackgroundProcessRecord record, DateTime? stopsAtUtc)
    {
        _store = store;
        _pieces = pieces;
        _swarm = swarm;
        Record = record;
        StopsAtUtc = stopsAtUtc;
    }

    /// <summary>Lines worth a log: bans, refused peers, tracker failures.</summary>
    public event Action<string>? Diagnostic
    {
        add => _swarm.Diagnostic += value;
        remove => _swarm.Diagnostic -= value;
    }

    /// <summary>The record saved for this process.</summary>
    public BackgroundProcessRecord Record { get; }

    /// <summary>What Start-MurderSeeding reports.</summary>
    public SeedingInfo Info => SeedingProcess.ToInfo(Record);

    /// <summary>When seeding stops by itself, or null.</summary>
    public DateTime? StopsAtUtc { get; }

    /// <summary>The swarm's counters.</summary>
    public SwarmStatistics GetStatistics() => _swarm.GetStatistics();

    /// <summary>Verifies the artifact, starts seeding and records the process.</summary>
    /// <param name="store">Murder's state directory.</param>
    /// <param name="request">What to seed.</param>
    /// <param name="checkedPieces">Reports the pieces verified so far.</param>
    /// <param name="cancellationToken">Stops the verification.</param>
    public static async Task<SeedingHost> StartAsync(BackgroundProcessStore store, SeedingHostRequest request, IProgress<int>? checkedPieces, CancellationToken cancellationToken)
    {
        TorrentMetaInfo torrent = request.Torrent;
        FilePieceStore pieces = FilePieceStore.OpenForReading(request.ArtifactPath, torrent.TotalLength);
        TorrentSwarm? swarm = null;
        try
        {
            Bitfield have;
            if (request.VerifiedArtifact is ArtifactStamp stamp && stamp.Length == torrent.TotalLength && stamp.Matches(request.ArtifactPath))
            {
                have = new Bitfield(torrent.PieceCount);
                have.SetAll();
            }
            else
            {
                have = await PieceChecker.CheckAsync(torrent, pieces, checkedPieces, cancellationToken).ConfigureAwait(false);
            }

            if (!have.AllSet)
            {
                throw new MurderException(
                    "ArtifactMismatch",
                    MurderErrorCategory.InvalidData,
                    $"{have.CountMissing} of {torrent.PieceCount} pieces of '{request.ArtifactPath}' do not match '{request.TorrentPath}'. The artifact changed or belongs to another torrent: make the torrent again with New-MurderTorrent -Force.")
                {
                    TargetObject = request.ArtifactPath,
                };
            }

            HttpSwarmTracker tracker = HttpSwarmTracker.For(torrent);
            swarm = TorrentSwarm.Start(torrent, pieces, have, new SwarmSettings { ListenPort = request.Port, MaxUploadRate = request.MaxUploadRate }, tracker);
            DateTime? stopsAt = request.SeedFor is TimeSpan seedFor ? DateTime.UtcNow + seedFor : null;
            BackgroundProcessRecord record = SaveRecord(store, request.Kind, request.Tag, swarm.LocalEndPoint.Port, torrent, request.ArtifactPath, request.TorrentPath, tracker.AnnounceUrl.AbsoluteUri, stopsAt);
            return new SeedingHost(store, pieces, swarm, record, stopsAt);
        }
        catch
        {
            if (swarm is not null)
            {
                await swarm.DisposeAsync().ConfigureAwait(false);
            }

            await pieces.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Takes over the swarm of a peer run whose download just completed and verified (see
    /// PeerRun.RunAsync's keepSeeding): the same process and port keep seeding, recorded as a
    /// lingering peer, with no second verification and no reconnecting.
    /// </summary>
    public static SeedingHost Adopt(BackgroundProcessStore store, string tag, string torrentPath, string artifactPath, TorrentMetaInfo torrent, TorrentSwarm swarm, FilePieceStore pieces, TimeSpan seedFor)
    {
        DateTime stopsAt = DateTime.UtcNow + seedFor;
        BackgroundProcessRecord record = SaveRecord(store, SeedingProcess.PeerKind, tag, swarm.LocalEndPoint.Port, torrent, artifactPath, torrentPath, torrent.Announce ?? string.Empty, stopsAt);
        return new SeedingHost(store, pieces, swarm, record, stopsAt);
    }

    /// <summary>Records this process as the seeder or lingering peer on <paramref name="port"/>, with its log when it has one.</summary>
    private static BackgroundProcessRecord SaveRecord(BackgroundProcessStore store, string kind, string tag, int port, TorrentMetaInfo torrent, string artifactPath, string torrentPath, string tracker, DateTime? stopsAtUtc)
    {
        string log = store.LogPath(kind, SeedingProcess.NameOf(kind, tag, port));
        BackgroundProcessRecord record = SeedingProcess.CreateRecord(kind, tag, port, torrent.InfoHash.ToHex(), artifactPath, torrentPath, tracker, stopsAtUtc, System.IO.File.Exists(log) ? log : null);
        store.Save(record);
        return record;
    }

    /// <summary>Seeds until the time is up or <paramref name="cancellationToken"/> is cancelled (not an error).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // In steps: Task.Delay takes at most about 49 days, and seeding may last a year.
                TimeSpan step = TimeSpan.FromHours(1);
                if (StopsAtUtc is DateTime stopsAt)
                {
                    TimeSpan remaining = stopsAt - DateTime.UtcNow;
                    if (remaining <= TimeSpan.Zero)
                    {
                        return;
                    }

                    step = remaining < step ? remaining : step;
                }

                await Task.Delay(step, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops seeding and removes the record.</summary>
    public async ValueTask DisposeAsync()
    {
        _store.Remove(Record.Kind, Record.Name, Record.ProcessId);
        await _swarm.DisposeAsync().ConfigureAwait(false);
        await _pieces.DisposeAsync().ConfigureAwait(false);
    }
}
