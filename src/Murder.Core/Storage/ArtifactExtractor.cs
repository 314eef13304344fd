using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;

namespace Murder.Core.Storage;

/// <summary>
/// Safe, atomic extraction of a release artifact (.tgz, single- or multi-member gzip) into
/// DESTINATION/TAG, or DESTINATION itself with <see cref="ArtifactExtractionRequest.NoTagDirectory"/>.
/// The archive streams (file, gzip, tar) into a fresh hidden staging directory beside the target;
/// only when every entry is written and the gzip trailer checked does the staging directory move
/// into place. Any failure (an unsafe entry, a corrupt or oversized archive, a full disk,
/// cancellation) leaves the previous content untouched and removes the staging directory.
/// </summary>
public static class ArtifactExtractor
{
    /// <summary>The default bound on expansion: the tar stream may be this many times the artifact's size.</summary>
    public const int DefaultMaxExpansionRatio = 200;

    /// <summary>The expansion bound is never below this (a tiny artifact may hold a sparse file).</summary>
    public const long MinimumExpansionLimit = 64L * 1024 * 1024;

    /// <summary>The largest PAX or GNU long-name metadata entry read.</summary>
    public const int MaxMetadataBytes = 1024 * 1024;

    private const string StagingSuffix = ".staging";
    private const string AsideSuffix = ".old";
    private const int ReadBufferSize = 128 * 1024;

    // Direct reads of the artifact (Linux): large, so each costs one trip to the disk per MiB.
    private const int UncachedReadSize = 1024 * 1024;

    /// <summary>Where the release goes: DESTINATION/TAG, or DESTINATION with NoTagDirectory (a full path).</summary>
    /// <exception cref="MurderException">The tag or destination is not acceptable.</exception>
    public static string GetTargetPath(ArtifactExtractionRequest request)
    {
        string destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(request.DestinationPath));
        string target = request.NoTagDirectory ? destination : Path.Combine(destination, DeployTag.Validate(request.Tag));
        if (Path.GetDirectoryName(target) is null || Path.GetFileName(target).Length == 0)
        {
            throw new MurderException(
                "InvalidDestination",
                MurderErrorCategory.InvalidArgument,
                $"'{target}' is a root directory; a release is extracted into a directory beside which a staging directory can be made. Choose a directory below it.")
            {
                TargetObject = target,
            };
        }

        return target;
    }

    /// <summary>The expansion bound for an artifact of <paramref name="archiveBytes"/> bytes.</summary>
    public static long GetExpansionLimit(ArtifactExtractionRequest request, long archiveBytes)
    {
        if (request.MaxExtractedBytes is long explicitLimit)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(explicitLimit, nameof(request));
            return explicitLimit;
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.MaxExpansionRatio, nameof(request));
        long derived = archiveBytes > long.MaxValue / request.MaxExpansionRatio ? long.MaxValue : archiveBytes * request.MaxExpansionRatio;
        return Math.Max(MinimumExpansionLimit, derived);
    }

    /// <summary>Extracts the artifact; see the type's description for the guarantees.</summary>
    /// <exception cref="MurderException">
    /// ArchiveNotFound, UnsafeArchiveEntry, ArchiveCorrupt, ArchiveTooLarge, DestinationNotEmpty,
    /// InsufficientDiskSpace, InvalidDestination or ExtractionFailed; nothing changed at the target.
    /// </exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing changed at the target.</exception>
    public static ArtifactExtractionResult Extract(ArtifactExtractionRequest request, CancellationToken cancellation)
    {
        string archive = Path.GetFullPath(request.ArchivePath);
        string target = GetTargetPath(request);
        string parent = Path.GetDirectoryName(target)!;
        string name = Path.GetFileName(target);
        var archiveInfo = new FileInfo(archive);
        if (!archiveInfo.Exists)
        {
            throw new MurderException("ArchiveNotFound", MurderErrorCategory.ObjectNotFound, $"The artifact '{archive}' does not exist. Download it first, or give its path.")
            {
                TargetObject = archive,
            };
        }

        long archiveBytes = archiveInfo.Length;
        long limit = GetExpansionLimit(request, archiveBytes);
        Func<string, long> freeSpace = request.FreeSpaceProbe ?? DiskSpace.AvailableBytes;
        string? firstCreated = FirstMissingAncestor(parent);
        string? staging = null;
        try
        {
            Directory.CreateDirectory(parent);
            RecoverLeftovers(parent, name, target);
            if (Inspect(target) == TargetState.NotEmpty && !request.ReplaceExisting)
            {
                throw NotEmpty(target);
            }

            // The tar stream is at least about as large as the artifact: a cheap first check.
            long free = freeSpace(parent);
            if (free < archiveBytes)
            {
                throw new MurderException(
                    "InsufficientDiskSpace",
                    MurderErrorCategory.WriteError,
                    $"Extracting '{archive}' needs at least {archiveBytes} bytes beside '{target}', but only {free} are free. Free space there, or choose another destination, and run again.")
                {
                    TargetObject = target,
                };
            }

            staging = Path.Combine(parent, $".murder-{name}.{Environment.ProcessId}.{Guid.NewGuid().ToString("N")[..12]}{StagingSuffix}");
            CreatePrivateDirectory(staging);
            StagingExtraction extraction;
            using (Stream file = UncachedReadStream.Open(archive, UncachedReadSize))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            using (var buffered = new BufferedStream(gzip, ReadBufferSize))
            {
                var reader = new TarStreamReader(buffered, limit, MaxMetadataBytes);
                extraction = new StagingExtraction(staging, target, reader, freeSpace);
                extraction.Run(cancellation);
            }

            cancellation.ThrowIfCancellationRequested();
            bool replaced = Commit(staging, target, parent, name, request.ReplaceExisting);
            staging = null;
            return new ArtifactExtractionResult
            {
                DestinationPath = target,
                Files = extraction.Files,
                Directories = extraction.Directories,
                SymbolicLinks = extraction.SymbolicLinks,
                HardLinks = extraction.HardLinks,
                BytesWritten = extraction.BytesWritten,
                ArchiveBytes = archiveBytes,
                ReplacedExisting = replaced,
            };
        }
        catch (Exception error)
        {
            if (staging is not null)
            {
                ForceDelete(staging);
            }

            if (firstCreated is not null)
            {
                RemoveEmptyDirectories(parent, firstCreated);
            }

            Exception translated = Translate(error, archive, target);
            if (ReferenceEquals(translated, error))
            {
                throw;
            }

            throw translated;
        }
    }

    private enum TargetState
    {
        Missing,
        Empty,
        NotEmpty,
    }

    private static TargetState Inspect(string target)
    {
        if (new FileInfo(target).LinkTarget is not null || File.Exists(target))
        {
            return TargetState.NotEmpty; // a link or a file is never "an empty directory"
        }

        if (!Directory.Exists(target))
        {
            return TargetState.Missing;
        }

        using var entries = Directory.EnumerateFileSystemEntries(target).GetEnumerator();
        return entries.MoveNext() ? TargetState.NotEmpty : TargetState.Empty;
    }

    /// <summary>Moves the staging directory into place; returns whether a non-empty target was replaced.</summary>
    private static bool Commit(string staging, string target, string parent, string name, bool replaceExisting)
    {
        switch (Inspect(target))
        {
            case TargetState.Missing:
                Directory.Move(staging, target);
                return false;
            case TargetState.Empty:
                Directory.Delete(target, recursive: false); // fails, safely, if something appeared in it
                Directory.Move(staging, target);
                return false;
        }

        if (!replaceExisting)
        {
            throw NotEmpty(target);
        }

        // As atomic as portable renames allow: old aside, new in, old deleted; on failure the old one goes back.
        string aside = Path.Combine(parent, $".murder-{name}.{Environment.ProcessId}.{Guid.NewGuid().ToString("N")[..12]}{AsideSuffix}");
        MoveEntry(target, aside);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            MoveEntry(aside, target);
            throw;
        }

        ForceDelete(aside);
        return true;
    }

    /// <summary>
    /// Removes what an extraction killed mid-way left beside the target: staging directories are
    /// deleted; a previous release moved aside is put back if nothing replaced it. Only leftovers
    /// of processes that are gone are touched, so concurrent extractions do not disturb each other.
    /// </summary>
    private static void RecoverLeftovers(string parent, string name, string target)
    {
        string prefix = $".murder-{name}.";
        foreach (string path in Directory.EnumerateFileSystemEntries(parent, prefix + "*"))
        {
            string entry = Path.GetFileName(path);
            bool staging = entry.EndsWith(StagingSuffix, StringComparison.Ordinal);
            bool aside = entry.EndsWith(AsideSuffix, StringComparison.Ordinal);
            if (!staging && !aside)
            {
                continue;
            }

            string middle = entry[prefix.Length..];
            int dot = middle.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !int.TryParse(middle.AsSpan(0, dot), out int processId) || IsRunning(processId))
            {
                continue;
            }

            if (aside && Inspect(target) == TargetState.Missing)
            {
                MoveEntry(path, target);
            }
            else
            {
                ForceDelete(path);
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        if (processId == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !Hosting.ProcessLiveness.HasExited(process);
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void MoveEntry(string source, string destination)
    {
        if (Directory.Exists(source) && new DirectoryInfo(source).LinkTarget is null)
        {
            Directory.Move(source, destination);
        }
        else
        {
            File.Move(source, destination); // a file or a link (the link itself moves)
        }
    }

    /// <summary>Deletes a tree without following links, making read-only directories writable if needed. Best effort.</summary>
    internal static bool ForceDelete(string path)
    {
        try
        {
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is not null || File.Exists(path))
            {
                File.Delete(path);
                return true;
            }

            if (!info.Exists)
            {
                return true;
            }

            try
            {
                info.Delete(recursive: true);
                return true;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                MakeOwnerWritable(info);
                info.Delete(recursive: true);
                return true;
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void MakeOwnerWritable(DirectoryInfo root)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        File.SetUnixFileMode(root.FullName, root.UnixFileMode | Owner);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        foreach (DirectoryInfo directory in root.EnumerateDirectories("*", options))
        {
            File.SetUnixFileMode(directory.FullName, directory.UnixFileMode | Owner);
        }
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static string? FirstMissingAncestor(string directory)
    {
        string? missing = null;
        for (string? current = directory; current is not null && !Directory.Exists(current); current = Path.GetDirectoryName(current))
        {
            missing = current;
        }

        return missing;
    }

    private static void RemoveEmptyDirectories(string from, string upTo)
    {
        try
        {
            for (string? current = from; current is not null && current.Length >= upTo.Length; current = Path.GetDirectoryName(current))
            {
                if (!Directory.Exists(current) || Directory.EnumerateFileSystemEntries(current).Any())
                {
                    return;
                }

                Directory.Delete(current);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original error is the one to report.
        }
    }

    private static MurderException NotEmpty(string target) => new(
        "DestinationNotEmpty",
        MurderErrorCategory.ResourceExists,
        $"'{target}' already exists and is not empty. Choose another destination or tag, or use -UnsafePleaseDelete to replace its contents with the release.")
    {
        TargetObject = target,
    };

    private static Exception Translate(Exception error, string archive, string target)
    {
        switch (error)
        {
            case MurderException or OperationCanceledException:
                return error;
            case InvalidDataException corrupt:
                return new MurderException(
                    "ArchiveCorrupt",
                    MurderErrorCategory.InvalidData,
                    $"The artifact '{archive}' is not a valid .tgz: {corrupt.Message} Download it again (its pieces are verified against the torrent) or rebuild it with New-MurderTorrent.",
                    corrupt)
                {
                    TargetObject = archive,
                };
            case IOException full when DiskSpace.IsDiskFull(full):
                return new MurderException(
                    "InsufficientDiskSpace",
                    MurderErrorCategory.WriteError,
                    $"The disk filled up while extracting into '{target}': {full.Message} Free space there, or choose another destination, and run again; the previous release was left as it was.",
                    full)
                {
                    TargetObject = target,
                };
            case UnauthorizedAccessException denied:
                return new MurderException(
                    "ExtractionFailed",
                    MurderErrorCategory.PermissionDenied,
                    $"Access denied while extracting into '{target}': {denied.Message} Run as a user who may write there, or choose another destination.",
                    denied)
                {
                    TargetObject = target,
                };
            case IOException io:
                return new MurderException(
                    "ExtractionFailed",
                    MurderErrorCategory.WriteError,
                    $"Could not extract into '{target}': {io.Message} The previous release was left as it was.",
                    io)
                {
                    TargetObject = target,
                };
            default:
                return error;
        }
    }

}
