using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using Murder.Core;
using Murder.Core.Storage;

namespace Murder.Fuzz.Targets;

/// <summary>
/// ArtifactExtractor.Extract on an archive the fuzzer wrote. Input that starts with the gzip magic
/// is the .tgz itself (the gzip layer is fuzzed); anything else is a tar stream that the target
/// gzips first (so mutations reach the tar reader instead of dying at the CRC check). Each run
/// gets a fresh temporary root holding the artifact, a canary directory and the destination; it
/// throws only MurderException with a documented ErrorId, never writes outside the release
/// directory, leaves no staging directory behind, and the release holds exactly what the result
/// reports, with every link resolving inside it. The root is deleted after every run.
/// </summary>
internal static class ExtractTarget
{
    private const string Tag = "release";
    private const string CanaryText = "outside the staging root: must never change";

    /// <summary>What Extract documents (ArchiveNotFound, InvalidDestination and DestinationNotEmpty cannot happen here).</summary>
    private static readonly HashSet<string> ExpectedErrorIds = new(StringComparer.Ordinal)
    {
        "UnsafeArchiveEntry", "ArchiveCorrupt", "ArchiveTooLarge", "InsufficientDiskSpace", "ExtractionFailed",
    };

    private static readonly string[] ExpectedRootEntries = { "artifact.tgz", "outside" };

    public static void Run(byte[] data)
    {
        string root = Path.Combine(Path.GetTempPath(), "murder-fuzz-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Directory.CreateDirectory(root);
            Extract(root, data);
        }
        finally
        {
            ArtifactExtractor.ForceDelete(root);
            FuzzInvariantException.Check(!Directory.Exists(root), $"could not clean up '{root}'");
        }
    }

    private static void Extract(string root, byte[] data)
    {
        string archive = Path.Combine(root, "artifact.tgz");
        string canaryDirectory = Path.Combine(root, "outside");
        string canary = Path.Combine(canaryDirectory, "canary.txt");
        string destination = Path.Combine(root, "destination");
        string release = Path.Combine(destination, Tag);
        File.WriteAllBytes(archive, IsGzip(data) ? data : Gzip(data));
        Directory.CreateDirectory(canaryDirectory);
        File.WriteAllText(canary, CanaryText);
        var request = new ArtifactExtractionRequest
        {
            ArchivePath = archive,
            DestinationPath = destination,
            Tag = Tag,
            MaxExtractedBytes = 4 * 1024 * 1024,
            FreeSpaceProbe = _ => 1L << 30,
        };

        ArtifactExtractionResult? result = null;
        try
        {
            result = ArtifactExtractor.Extract(request, CancellationToken.None);
        }
        catch (MurderException error) when (ExpectedErrorIds.Contains(error.ErrorId))
        {
        }

        // Nothing outside the destination changed; the destination holds the release or nothing.
        // (A failed extraction removes the destination directory it had to create.)
        string[] top = Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Where(name => name != "destination").Order(StringComparer.Ordinal).ToArray()!;
        FuzzInvariantException.Check(top.SequenceEqual(ExpectedRootEntries), $"the temporary root holds [{string.Join(", ", top)}] besides the destination");
        FuzzInvariantException.Check(Directory.GetFileSystemEntries(canaryDirectory).SequenceEqual(new[] { canary }) && File.ReadAllText(canary) == CanaryText, "the canary directory changed");
        string[] placed = Directory.Exists(destination) ? Directory.GetFileSystemEntries(destination) : Array.Empty<string>();
        if (result is null)
        {
            FuzzInvariantException.Check(placed.Length == 0, $"a failed extraction left [{string.Join(", ", placed.Select(Path.GetFileName))}] in the destination");
            return;
        }

        FuzzInvariantException.Check(placed.SequenceEqual(new[] { release }) && result.DestinationPath == release, $"a successful extraction left [{string.Join(", ", placed.Select(Path.GetFileName))}] in the destination");
        CheckRelease(release, result);
    }

    private static void CheckRelease(string release, ArtifactExtractionResult result)
    {
        int files = 0, directories = 0, links = 0;
        long bytes = 0;
        string prefix = release + Path.DirectorySeparatorChar;
        var pending = new Stack<string>();
        pending.Push(release);
        while (pending.Count > 0)
        {
            foreach (string entry in Directory.GetFileSystemEntries(pending.Pop()))
            {
                var info = new FileInfo(entry);
                if (info.LinkTarget is string target)
                {
                    links++;
                    FileSystemInfo? final = info.ResolveLinkTarget(returnFinalTarget: true);
                    string resolved = final?.FullName ?? Path.GetFullPath(target, Path.GetDirectoryName(entry)!);
                    FuzzInvariantException.Check(resolved == release || resolved.StartsWith(prefix, StringComparison.Ordinal), $"the link '{entry}' -> '{target}' resolves to '{resolved}', outside the release");
                }
                else if (Directory.Exists(entry))
                {
                    directories++;
                    pending.Push(entry);
                }
                else
                {
                    files++;
                    bytes += info.Length;
                    if (!OperatingSystem.IsWindows())
                    {
                        const UnixFileMode Special = UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit;
                        FuzzInvariantException.Check((info.UnixFileMode & Special) == 0, $"'{entry}' has a setuid, setgid or sticky bit");
                    }
                }
            }
        }

        FuzzInvariantException.Check(
            files == result.Files + result.HardLinks && directories == result.Directories && links == result.SymbolicLinks && bytes == result.BytesWritten,
            $"the release holds {files} files, {directories} directories, {links} links and {bytes} bytes, but the result reports {result.Files}+{result.HardLinks}, {result.Directories}, {result.SymbolicLinks} and {result.BytesWritten}");
    }

    private static bool IsGzip(byte[] data) => data.Length >= 2 && data[0] == 0x1F && data[1] == 0x8B;

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
