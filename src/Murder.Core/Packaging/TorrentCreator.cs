using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Threading;
using Murder.Core.MetaInfo;

namespace Murder.Core.Packaging;

/// <summary>
/// Murder's create_torrent: a directory becomes TAG.tgz (tar + gzip, ".git*" left out), a file is
/// used as the artifact as it is, and TAG.tgz.torrent describes it. The artifact is hashed in the
/// same pass that writes it. Both files appear only when complete: they are written under temporary
/// names and renamed into place, and a failure or cancellation leaves nothing behind.
/// </summary>
public static class TorrentCreator
{
    private const int CopyBlockSize = 1024 * 1024;

    /// <summary>Validates a request and resolves its paths without touching the disk.</summary>
    /// <exception cref="MurderException">The request cannot be carried out; the ErrorId says why.</exception>
    public static TorrentCreationPlan Plan(TorrentCreationRequest request)
    {
        string tag = DeployTag.Validate(request.Tag);
        string announce;
        try
        {
            announce = AnnounceUrl.Normalize(request.Tracker);
        }
        catch (ArgumentException error)
        {
            throw new MurderException("InvalidTracker", MurderErrorCategory.InvalidArgument, error.Message.Split(" (Parameter")[0], error)
            {
                TargetObject = request.Tracker,
            };
        }

        if (request.PieceLength is int pieceLength && PieceLengthPolicy.Check(pieceLength) is string pieceProblem)
        {
            throw new MurderException("InvalidPieceLength", MurderErrorCategory.InvalidArgument, $"The piece length {pieceLength} is not valid: {pieceProblem}. Leave -PieceLength out to have it chosen from the size.")
            {
                TargetObject = pieceLength,
            };
        }

        string source = Path.GetFullPath(request.SourcePath);
        bool isFile = File.Exists(source);
        if (!isFile && !Directory.Exists(source))
        {
            throw new MurderException("PathNotFound", MurderErrorCategory.ObjectNotFound, $"'{request.SourcePath}' does not exist. Give the directory to deploy, or a file to use as the artifact.")
            {
                TargetObject = request.SourcePath,
            };
        }

        if (isFile && new FileInfo(source).Length == 0)
        {
            throw new MurderException("EmptyArtifact", MurderErrorCategory.InvalidData, $"'{source}' is empty; a torrent needs at least one byte of data.")
            {
                TargetObject = source,
            };
        }

        string output = Path.GetFullPath(request.OutputDirectory);
        if (File.Exists(output))
        {
            throw new MurderException("InvalidOutputDirectory", MurderErrorCategory.InvalidArgument, $"The output directory '{output}' is a file. Give a directory (it is created if missing).")
            {
                TargetObject = output,
            };
        }

        string artifact = Path.Combine(output, DeployTag.ArtifactFileName(tag));
        string torrent = Path.Combine(output, DeployTag.TorrentFileName(tag));
        bool artifactIsSource = isFile && PathsEqual(source, artifact);
        if (!request.Force)
        {
            string? existing = (!artifactIsSource && File.Exists(artifact)) ? artifact : File.Exists(torrent) ? torrent : null;
            if (existing is not null)
            {
                throw new MurderException("ArtifactExists", MurderErrorCategory.ResourceExists, $"'{existing}' already exists. Use -Force to replace it, or choose another tag.")
                {
                    TargetObject = existing,
                };
            }
        }

        return new TorrentCreationPlan
        {
            Request = request with { Tag = tag },
            SourcePath = source,
            SourceIsFile = isFile,
            ArtifactPath = artifact,
            TorrentPath = torrent,
            AnnounceUrl = announce,
        };
    }

    /// <summary>Carries out a plan. Call it off the UI thread; it is CPU and disk bound.</summary>
    public static TorrentCreationResult Create(TorrentCreationPlan plan, TorrentCreationProgress? progress, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        TorrentCreationRequest request = plan.Request;
        string output = Path.GetDirectoryName(plan.ArtifactPath)!;
        bool createdOutput = !Directory.Exists(output);
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string partialArtifact = Path.Combine(output, $".{request.Tag}.tgz.{suffix}.partial");
        string partialTorrent = Path.Combine(output, $".{request.Tag}.tgz.torrent.{suffix}.partial");
        bool artifactIsSource = plan.SourceIsFile && PathsEqual(plan.SourcePath, plan.ArtifactPath);
        progress ??= new TorrentCreationProgress();
        try
        {
            Directory.CreateDirectory(output);
            (long size, int pieceLength, byte[] pieceHashes, int fileCount, long sourceBytes, SourceTree? tree) = plan.SourceIsFile
                ? HashFile(plan, artifactIsSource ? null : partialArtifact, progress, cancellation)
                : PackDirectory(plan, partialArtifact, partialTorrent, progress, cancellation);

            var description = new SingleFileTorrent
            {
                Name = DeployTag.ArtifactFileName(request.Tag),
                Length = size,
                PieceLength = pieceLength,
                PieceHashes = pieceHashes,
                Announce = plan.AnnounceUrl,
                IsPrivate = request.Private,
                CreatedBy = request.CreatedBy,
                CreationDate = DateTimeOffset.UtcNow,
            };
            byte[] torrentBytes = MetaInfoWriter.CreateSingleFile(description, out InfoHash infoHash);
            if (request.SwarmSecret is byte[] secret)
            {
                // The key depends on the info-hash, which the announce URL does not affect.
                description = description with { Announce = Tracker.SwarmKey.AddToUrl(plan.AnnounceUrl, secret, infoHash) };
                torrentBytes = MetaInfoWriter.CreateSingleFile(description, out infoHash);
            }

            // Read back what we wrote: the same validation every peer applies.
            MetaInfoReader.Parse(torrentBytes);
            using (var torrentFile = new FileStream(partialTorrent, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                torrentFile.Write(torrentBytes);
                torrentFile.Flush(flushToDisk: true);
            }

            cancellation.ThrowIfCancellationRequested();
            if (!artifactIsSource)
            {
                File.Move(partialArtifact, plan.ArtifactPath, overwrite: request.Force);
            }

            File.Move(partialTorrent, plan.TorrentPath, overwrite: request.Force);
            return new TorrentCreationResult
            {
                Tag = request.Tag,
                ArtifactPath = plan.ArtifactPath,
                TorrentPath = plan.TorrentPath,
                InfoHash = infoHash.ToHex(),
                Size = size,
                PieceLength = pieceLength,
                PieceCount = pieceHashes.Length / 20,
                Tracker = description.Announce!,
                SourcePath = plan.SourcePath,
                FileCount = fileCount,
                SourceBytes = sourceBytes,
                Duration = clock.Elapsed,
                Skipped = tree?.Skipped ?? Array.Empty<string>(),
            };
        }
        catch (Exception error)
        {
            TryDelete(partialArtifact);
            TryDelete(partialTorrent);
            if (createdOutput)
            {
                TryRemoveEmptyDirectory(output);
            }

            if (error is IOException io and not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw new MurderException(
                    "ArtifactWriteFailed",
                    MurderErrorCategory.WriteError,
                    $"Could not write the artifact for '{request.Tag}' in '{output}': {io.Message} Check free space and permissions there, or choose another -OutputDirectory.",
                    io)
                {
                    TargetObject = output,
                };
            }

            if (error is UnauthorizedAccessException denied)
            {
                throw new MurderException(
                    "ArtifactWriteFailed",
                    MurderErrorCategory.PermissionDenied,
                    $"Access denied writing to '{output}': {denied.Message} Choose an -OutputDirectory you can write to.",
                    denied)
                {
                    TargetObject = output,
                };
            }

            throw;
        }
    }

    private static (long Size, int PieceLength, byte[] Hashes, int Files, long SourceBytes, SourceTree? Tree) PackDirectory(
        TorrentCreationPlan plan, string partialArtifact, string partialTorrent, TorrentCreationProgress progress, CancellationToken cancellation)
    {
        SourceTree tree = SourceTree.Scan(plan.SourcePath, new[] { plan.ArtifactPath, plan.TorrentPath, partialArtifact, partialTorrent }, cancellation);
        int pieceLength = plan.Request.PieceLength ?? PieceLengthPolicy.Choose(tree.EstimatedTarBytes);
        using var artifact = new HashingFileStream(partialArtifact, pieceLength);
        using (var gzip = new ParallelGzipStream(artifact, ToCompressionLevel(plan.Request.Compression), cancellation))
        {
            progress.Track(tree.EstimatedTarBytes, () => gzip.BytesConsumed, () => artifact.BytesWritten);
            TarPacker.Write(tree, gzip, cancellation);
            gzip.Complete();
        }

        byte[] hashes = artifact.Complete();
        return (artifact.BytesWritten, pieceLength, hashes, tree.FileCount, tree.TotalFileBytes, tree);
    }

    private static (long Size, int PieceLength, byte[] Hashes, int Files, long SourceBytes, SourceTree? Tree) HashFile(
        TorrentCreationPlan plan, string? copyTo, TorrentCreationProgress progress, CancellationToken cancellation)
    {
        using var source = new FileStream(plan.SourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        long length = source.Length;
        int pieceLength = plan.Request.PieceLength ?? PieceLengthPolicy.Choose(length);
        using var hasher = new PieceHasher(pieceLength);
        using FileStream? copy = copyTo is null ? null : new FileStream(copyTo, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        long done = 0;
        progress.Track(length, () => Interlocked.Read(ref done), () => Interlocked.Read(ref done));
        // Two blocks: the next is read while the last is hashed (on the pool) and copied.
        byte[] current = new byte[CopyBlockSize];
        byte[] next = new byte[CopyBlockSize];
        int read = source.Read(current, 0, current.Length);
        while (read > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            byte[] block = current;
            int count = read;
            var hashing = System.Threading.Tasks.Task.Run(() => hasher.Append(block.AsSpan(0, count)), cancellation);
            copy?.Write(block, 0, count);
            read = source.Read(next, 0, next.Length);
            hashing.GetAwaiter().GetResult();
            Interlocked.Add(ref done, count);
            (current, next) = (next, current);
        }

        if (hasher.Length != length)
        {
            throw new MurderException("SourceChanged", MurderErrorCategory.InvalidData, $"'{plan.SourcePath}' changed size while it was read. Use a file that is not being written to.")
            {
                TargetObject = plan.SourcePath,
            };
        }

        copy?.Flush();
        return (length, pieceLength, hasher.Complete(), 1, length, null);
    }

    private static CompressionLevel ToCompressionLevel(ArtifactCompression compression) => compression switch
    {
        ArtifactCompression.Optimal => CompressionLevel.Optimal,
        ArtifactCompression.NoCompression => CompressionLevel.NoCompression,
        ArtifactCompression.SmallestSize => CompressionLevel.SmallestSize,
        _ => CompressionLevel.Fastest,
    };

    private static bool PathsEqual(string left, string right) =>
        string.Equals(Path.GetFullPath(left), Path.GetFullPath(right), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryRemoveEmptyDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path) && Directory.GetFileSystemEntries(path).Length == 0)
            {
                Directory.Delete(path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
