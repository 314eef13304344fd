using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Murder.Core.Packaging;
using Murder.Core.Storage;
using Xunit;

namespace Murder.Core.Tests.Storage;

public sealed class ArtifactExtractorTests : IDisposable
{
    private const string Tag = "Tag1";
    private readonly TempDirectory _work = new();

    public ArtifactExtractorTests()
    {
        Directory.CreateDirectory(Archives);
        Directory.CreateDirectory(Destination);
        File.WriteAllText(_work.Combine("sentinel.txt"), "outside the destination");
        File.WriteAllText(Path.Combine(Destination, "neighbour.txt"), "beside the target");
    }

    private string Archives => _work.Combine("archives");

    private string Destination => _work.Combine("dest");

    private string Target => Path.Combine(Destination, Tag);

    public void Dispose()
    {
        MakeWritable(_work.Path);
        _work.Dispose();
    }

    private static void MakeWritable(string root)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(root))
        {
            return;
        }

        foreach (string directory in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0x1FF);
        }
    }

    private ArtifactExtractionResult Extract(
        string archive,
        bool replace = false,
        long? maxBytes = null,
        Func<string, long>? freeSpace = null,
        bool noTagDirectory = false,
        CancellationToken cancellation = default) =>
        ArtifactExtractor.Extract(
            new ArtifactExtractionRequest
            {
                ArchivePath = archive,
                DestinationPath = Destination,
                Tag = Tag,
                NoTagDirectory = noTagDirectory,
                ReplaceExisting = replace,
                MaxExtractedBytes = maxBytes,
                FreeSpaceProbe = freeSpace,
            },
            cancellation);

    private string ArchivePath => Path.Combine(Archives, Tag + ".tgz");

    private string Write(HostileArchive archive) => archive.WriteTo(ArchivePath);

    private string WriteRaw(byte[] bytes)
    {
        File.WriteAllBytes(ArchivePath, bytes);
        return ArchivePath;
    }

    private void WritePreviousRelease()
    {
        Directory.CreateDirectory(Path.Combine(Target, "app"));
        File.WriteAllText(Path.Combine(Target, "app", "version.txt"), "previous release");
    }

    /// <summary>Every path under the work directory (links not followed) with its kind and content hash.</summary>
    private List<string> Snapshot()
    {
        var listing = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (FileSystemInfo info in new DirectoryInfo(_work.Path).EnumerateFileSystemInfos("*", options))
        {
            string relative = Path.GetRelativePath(_work.Path, info.FullName);
            string description = info.LinkTarget is string link
                ? "link -> " + link
                : info is FileInfo file ? "file " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file.FullName))) : "directory";
            listing.Add(relative + ": " + description);
        }

        listing.Sort(StringComparer.Ordinal);
        return listing;
    }

    /// <summary>
    /// The archive must be refused with <paramref name="errorId"/>, and nothing anywhere under the
    /// work directory may change: no file outside, the previous release as it was, no staging left.
    /// The previous release exists and replacing it is allowed: the most exposed path.
    /// </summary>
    private MurderException AssertRefused(string archive, string errorId, long? maxBytes = null, Func<string, long>? freeSpace = null)
    {
        WritePreviousRelease();
        List<string> before = Snapshot();
        MurderException error = Assert.Throws<MurderException>(() => Extract(archive, replace: true, maxBytes: maxBytes, freeSpace: freeSpace));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(before, Snapshot());
        Assert.Empty(Directory.GetFileSystemEntries(Destination, ".murder-*"));
        Assert.Equal("previous release", File.ReadAllText(Path.Combine(Target, "app", "version.txt")));
        Assert.Equal("outside the destination", File.ReadAllText(_work.Combine("sentinel.txt")));
        return error;
    }

    public static IEnumerable<object[]> UnsafeArchives() => new[]
    {
        "dotdot", "dotdot-deep", "dotdot-after-good-entries", "absolute-etc", "windows-drive", "windows-unc",
        "windows-drive-relative", "windows-reserved-name", "windows-stream", "windows-trailing-dot",
        "symlink-outside", "symlink-absolute", "symlink-then-file-through-it", "symlink-to-directory-then-file-through-it",
        "symlink-climbing-through-another-link", "symlink-deep-escape", "symlink-backslash",
        "hardlink-outside", "hardlink-absolute", "hardlink-not-yet-extracted", "hardlink-to-symlink", "hardlink-to-directory",
        "character-device", "block-device", "fifo", "duplicate-file-then-directory", "duplicate-directory-then-file",
        "duplicate-file", "file-as-parent", "huge-pax-header", "control-character",
    }.Select(name => new object[] { name });

    private static HostileArchive Build(string name) => name switch
    {
        "dotdot" => new HostileArchive().File("../x", "escaped"),
        "dotdot-deep" => new HostileArchive().Directory("a/").File("a/../../x", "escaped"),
        "dotdot-after-good-entries" => new HostileArchive().Directory("app/").File("app/ok.txt", "fine").File("../../x", "escaped"),
        "absolute-etc" => new HostileArchive().File("/etc/murder-test-x", "escaped"),
        "windows-drive" => new HostileArchive().File("C:\\x", "escaped"),
        "windows-unc" => new HostileArchive().File("\\\\server\\share\\x", "escaped"),
        "windows-drive-relative" => new HostileArchive().File("C:x", "escaped"),
        "windows-reserved-name" => new HostileArchive().File("app/con.txt", "device"),
        "windows-stream" => new HostileArchive().File("a:stream", "stream"),
        "windows-trailing-dot" => new HostileArchive().File("name.", "stripped"),
        "symlink-outside" => new HostileArchive().SymbolicLink("link", "../outside"),
        "symlink-absolute" => new HostileArchive().SymbolicLink("link", "/etc"),
        "symlink-then-file-through-it" => new HostileArchive().SymbolicLink("link", ".").File("link/x", "through a link"),
        "symlink-to-directory-then-file-through-it" => new HostileArchive().Directory("sub/").SymbolicLink("link", "sub").File("link/x", "through a link"),
        "symlink-climbing-through-another-link" => new HostileArchive().Directory("a/").SymbolicLink("a/up", "..").SymbolicLink("escape", "a/up/.."),
        "symlink-deep-escape" => new HostileArchive().Directory("a/").SymbolicLink("a/link", "../../.."),
        "symlink-backslash" => new HostileArchive().SymbolicLink("link", "..\\..\\x"),
        "hardlink-outside" => new HostileArchive().HardLink("h", "../sentinel.txt"),
        "hardlink-absolute" => new HostileArchive().HardLink("h", "/etc/passwd"),
        "hardlink-not-yet-extracted" => new HostileArchive().HardLink("h", "later.txt").File("later.txt", "later"),
        "hardlink-to-symlink" => new HostileArchive().File("f", "data").SymbolicLink("s", "f").HardLink("h", "s"),
        "hardlink-to-directory" => new HostileArchive().Directory("d/").HardLink("h", "d"),
        "character-device" => new HostileArchive().Entry(new PaxTarEntry(TarEntryType.CharacterDevice, "null") { DeviceMajor = 1, DeviceMinor = 3 }),
        "block-device" => new HostileArchive().Entry(new PaxTarEntry(TarEntryType.BlockDevice, "disk") { DeviceMajor = 8, DeviceMinor = 0 }),
        "fifo" => new HostileArchive().Entry(new PaxTarEntry(TarEntryType.Fifo, "pipe")),
        "duplicate-file-then-directory" => new HostileArchive().File("a", "file").Directory("a/"),
        "duplicate-directory-then-file" => new HostileArchive().Directory("a/").File("a", "file"),
        "duplicate-file" => new HostileArchive().File("a", "first").File("a", "second"),
        "file-as-parent" => new HostileArchive().File("a", "file").File("a/b", "below a file"),
        "huge-pax-header" => new HostileArchive().Entry(new PaxTarEntry(
            TarEntryType.RegularFile,
            "big",
            new Dictionary<string, string> { ["comment"] = new string('x', 2 * 1024 * 1024) })),
        "control-character" => new HostileArchive().File("bell\u0007.txt", "control"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(UnsafeArchives))]
    public void UnsafeEntry_IsRefusedAndNothingChanges(string name)
    {
        MurderException error = AssertRefused(Write(Build(name)), "UnsafeArchiveEntry");
        Assert.Contains("unsafe", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists("/etc/murder-test-x"));
    }

    [Fact]
    public void AbsolutePathIntoTheWorkDirectory_IsRefused()
    {
        string outside = _work.Combine("absolute-escape.txt");
        AssertRefused(Write(new HostileArchive().File(outside, "escaped")), "UnsafeArchiveEntry");
        Assert.False(File.Exists(outside));
    }

    [Fact]
    public void TruncatedGzip_IsCorrupt()
    {
        byte[] archive = HostileArchive.Gzip(new HostileArchive().File("a.txt", new string('a', 100000)).File("b.txt", "b").ToTar());
        foreach (int keep in new[] { archive.Length / 2, 10, archive.Length - 12 })
        {
            AssertRefused(WriteRaw(archive[..keep]), "ArchiveCorrupt");
        }
    }

    [Fact]
    public void CorruptGzip_IsCorrupt()
    {
        var random = new Random(7);
        byte[] content = new byte[200000];
        random.NextBytes(content);
        byte[] archive = HostileArchive.Gzip(new HostileArchive().File("random.bin", new MemoryStream(content)).ToTar());
        byte[] damaged = (byte[])archive.Clone();
        for (int index = archive.Length / 3; index < (archive.Length / 3) + 64; index++)
        {
            damaged[index] ^= 0x5A;
        }

        AssertRefused(WriteRaw(damaged), "ArchiveCorrupt");
        byte[] badCrc = (byte[])archive.Clone();
        badCrc[^6] ^= 0xFF;
        AssertRefused(WriteRaw(badCrc), "ArchiveCorrupt");
    }

    [Fact]
    public void NotGzipAtAll_IsCorrupt()
    {
        AssertRefused(WriteRaw(new HostileArchive().File("plain.txt", "a plain tar").ToTar()), "ArchiveCorrupt");
        AssertRefused(WriteRaw(Array.Empty<byte>()), "ArchiveCorrupt");
    }

    [Fact]
    public void TarWithBadChecksumOrMissingEndMarker_IsCorrupt()
    {
        byte[] tar = new HostileArchive().File("a.txt", "content").ToTar();
        byte[] badChecksum = (byte[])tar.Clone();
        badChecksum[0] ^= 0x01; // the name changes, the stored checksum does not
        AssertRefused(WriteRaw(HostileArchive.Gzip(badChecksum)), "ArchiveCorrupt");
        AssertRefused(WriteRaw(HostileArchive.Gzip(tar[..^1024])), "ArchiveCorrupt");
        AssertRefused(WriteRaw(HostileArchive.Gzip(tar[..700])), "ArchiveCorrupt");
    }

    [Fact]
    public void Base256NumbersInEightByteFields_AreReadOrRefused()
    {
        // Found by fuzzing (FuzzRegressions/extract/base256-checksum-field): a GNU base-256 marker
        // in the 8-byte mode or checksum field threw ArgumentOutOfRangeException.
        byte[] tar = new HostileArchive()
            .Entry(new UstarTarEntry(TarEntryType.RegularFile, "a.txt") { DataStream = new MemoryStream("content"u8.ToArray()), Mode = (UnixFileMode)0x1A4 })
            .ToTar();
        byte[] base256 = (byte[])tar.Clone();
        base256.AsSpan(100, 8).Clear();
        base256[100] = 0x80;
        base256[106] = 0x01; // 0x1A4 = 0644
        base256[107] = 0xA4;
        int sum = 8 * ' ';
        for (int index = 0; index < 512; index++)
        {
            sum += index is >= 148 and < 156 ? 0 : base256[index];
        }

        base256.AsSpan(148, 8).Clear();
        base256[148] = 0x80;
        base256[154] = (byte)(sum >> 8);
        base256[155] = (byte)sum;
        Extract(WriteRaw(HostileArchive.Gzip(base256)));
        Assert.Equal("content", File.ReadAllText(Path.Combine(Target, "a.txt")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(Path.Combine(Target, "a.txt")));
        }

        byte[] negative = (byte[])tar.Clone();
        negative.AsSpan(148, 8).Fill(0xFF);
        Directory.Delete(Target, recursive: true);
        AssertRefused(WriteRaw(HostileArchive.Gzip(negative)), "ArchiveCorrupt");
    }

    [Fact]
    public void Bomb_StopsAtTheExplicitLimit()
    {
        string archive = Write(new HostileArchive().File("zeros", new ZeroStream(8L * 1024 * 1024)));
        MurderException error = AssertRefused(archive, "ArchiveTooLarge", maxBytes: 1024 * 1024);
        Assert.Contains("decompression bomb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bomb_StopsAtTheLimitDerivedFromTheArtifact()
    {
        string archive = new HostileArchive()
            .File("zeros", new ZeroStream(ArtifactExtractor.MinimumExpansionLimit + (8 * 1024 * 1024)))
            .WriteTo(ArchivePath, System.IO.Compression.CompressionLevel.SmallestSize);
        Assert.True(new FileInfo(archive).Length * ArtifactExtractor.DefaultMaxExpansionRatio < ArtifactExtractor.MinimumExpansionLimit);
        AssertRefused(archive, "ArchiveTooLarge");
    }

    [Fact]
    public void Bomb_OfManySmallEntries_StopsWhileStreaming()
    {
        var archive = new HostileArchive();
        for (int index = 0; index < 2000; index++)
        {
            archive.File($"f{index}.txt", "small");
        }

        AssertRefused(Write(archive), "ArchiveTooLarge", maxBytes: 256 * 1024);
    }

    [Fact]
    public void Bomb_OfHardLinkCopies_CountsAgainstTheLimit()
    {
        var archive = new HostileArchive().File("big", new ZeroStream(512 * 1024));
        for (int index = 0; index < 20; index++)
        {
            archive.HardLink($"copy{index}", "big");
        }

        AssertRefused(Write(archive), "ArchiveTooLarge", maxBytes: 4 * 1024 * 1024);
    }

    [Fact]
    public void NotEnoughFreeSpace_BeforeStarting()
    {
        string archive = Write(new HostileArchive().File("a.txt", "content"));
        MurderException error = AssertRefused(archive, "InsufficientDiskSpace", freeSpace: _ => 10);
        Assert.Contains("bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotEnoughFreeSpace_ForALargeFile()
    {
        string archive = Write(new HostileArchive().File("small.txt", "x").File("large.bin", new ZeroStream(4 * 1024 * 1024)));
        long artifact = new FileInfo(archive).Length;
        MurderException error = AssertRefused(archive, "InsufficientDiskSpace", freeSpace: _ => artifact + 1000);
        Assert.Contains("large.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToString(4 * 1024 * 1024, System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelled_LeavesNothing()
    {
        string archive = Write(new HostileArchive().File("a.txt", "content"));
        WritePreviousRelease();
        List<string> before = Snapshot();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Extract(archive, replace: true, cancellation: cancelled.Token));
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void MissingArchive_IsReported()
    {
        MurderException error = Assert.Throws<MurderException>(() => Extract(_work.Combine("nope.tgz")));
        Assert.Equal("ArchiveNotFound", error.ErrorId);
    }

    [Fact]
    public void NonEmptyTarget_IsRefusedWithoutReplace()
    {
        string archive = Write(new HostileArchive().File("new.txt", "new"));
        WritePreviousRelease();
        List<string> before = Snapshot();
        MurderException error = Assert.Throws<MurderException>(() => Extract(archive));
        Assert.Equal("DestinationNotEmpty", error.ErrorId);
        Assert.Contains("-UnsafePleaseDelete", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void NonEmptyTarget_IsSwappedWithReplace()
    {
        string archive = Write(new HostileArchive().Directory("app/").File("app/version.txt", "new release").File("added.txt", "added"));
        WritePreviousRelease();
        Directory.CreateDirectory(Path.Combine(Target, "readonly"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(Target, "readonly"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        ArtifactExtractionResult result = Extract(archive, replace: true);
        Assert.True(result.ReplacedExisting);
        Assert.Equal(Target, result.DestinationPath);
        Assert.Equal("new release", File.ReadAllText(Path.Combine(Target, "app", "version.txt")));
        Assert.Equal("added", File.ReadAllText(Path.Combine(Target, "added.txt")));
        Assert.False(Directory.Exists(Path.Combine(Target, "readonly")));
        Assert.Equal(new[] { Tag, "neighbour.txt" }, Directory.GetFileSystemEntries(Destination).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EmptyTarget_IsReplacedWithoutAsking()
    {
        Directory.CreateDirectory(Target);
        ArtifactExtractionResult result = Extract(Write(new HostileArchive().File("a.txt", "a")));
        Assert.False(result.ReplacedExisting);
        Assert.Equal("a", File.ReadAllText(Path.Combine(Target, "a.txt")));
    }

    [Fact]
    public void TargetThatIsAFile_IsNotEmpty()
    {
        File.WriteAllText(Target, "a file where the release goes");
        string archive = Write(new HostileArchive().File("a.txt", "a"));
        Assert.Equal("DestinationNotEmpty", Assert.Throws<MurderException>(() => Extract(archive)).ErrorId);
        Assert.Equal("a file where the release goes", File.ReadAllText(Target));
        Extract(archive, replace: true);
        Assert.Equal("a", File.ReadAllText(Path.Combine(Target, "a.txt")));
    }

    [Fact]
    public void NoTagDirectory_ExtractsIntoTheDestinationItself()
    {
        string destination = Path.Combine(Destination, "flat");
        ArtifactExtractionResult result = ArtifactExtractor.Extract(
            new ArtifactExtractionRequest { ArchivePath = Write(new HostileArchive().File("a.txt", "a")), DestinationPath = destination, NoTagDirectory = true },
            CancellationToken.None);
        Assert.Equal(destination, result.DestinationPath);
        Assert.Equal("a", File.ReadAllText(Path.Combine(destination, "a.txt")));
    }

    [Fact]
    public void MissingDestination_IsCreated_AndRemovedAgainOnFailure()
    {
        string destination = _work.Combine("new", "deeper");
        var request = new ArtifactExtractionRequest { ArchivePath = Write(new HostileArchive().File("../x", "x")), DestinationPath = destination, Tag = Tag };
        Assert.Equal("UnsafeArchiveEntry", Assert.Throws<MurderException>(() => ArtifactExtractor.Extract(request, CancellationToken.None)).ErrorId);
        Assert.False(Directory.Exists(_work.Combine("new")));
        ArtifactExtractor.Extract(request with { ArchivePath = Write(new HostileArchive().File("x", "x")) }, CancellationToken.None);
        Assert.Equal("x", File.ReadAllText(Path.Combine(destination, Tag, "x")));
    }

    [Fact]
    public void GnuTarStyleNames_AndImplicitDirectories_AreAccepted()
    {
        ArtifactExtractionResult result = Extract(Write(new HostileArchive()
            .Directory("./")
            .File("./top.txt", "top")
            .File("./implied/deeper/file.txt", "deep")
            .File("a//b/./c.txt", "normalized")));
        Assert.Equal("deep", File.ReadAllText(Path.Combine(Target, "implied", "deeper", "file.txt")));
        Assert.Equal("normalized", File.ReadAllText(Path.Combine(Target, "a", "b", "c.txt")));
        Assert.Equal(3, result.Files);
        Assert.Equal(4, result.Directories);
    }

    [Fact]
    public void LinksInside_AreKept()
    {
        ArtifactExtractionResult result = Extract(Write(new HostileArchive()
            .Directory("lib/")
            .File("lib/real.so", "library")
            .SymbolicLink("lib/alias.so", "real.so")
            .Directory("bin/")
            .SymbolicLink("bin/lib", "../lib")
            .SymbolicLink("root", ".")
            .HardLink("copy.so", "lib/real.so")));
        Assert.Equal("real.so", new FileInfo(Path.Combine(Target, "lib", "alias.so")).LinkTarget);
        Assert.Equal("library", File.ReadAllText(Path.Combine(Target, "bin", "lib", "alias.so")));
        Assert.Equal("library", File.ReadAllText(Path.Combine(Target, "copy.so")));
        Assert.Equal((3, 1), (result.SymbolicLinks + 0, result.HardLinks));
        Assert.Equal(1, result.Files);
    }

    [Fact]
    public void Modes_AreRestoredWithoutSetuidSetgidOrSticky()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Extract(Write(new HostileArchive()
            .File("suid", "x", (UnixFileMode)0xFED) // 07755
            .File("private", "x", UnixFileMode.UserRead | UnixFileMode.UserWrite)
            .Directory("readonly/", (UnixFileMode)0x16D) // 0555
            .File("readonly/inside.txt", "inside")));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(Target, "suid")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Target, "private")));
        Assert.Equal((UnixFileMode)0x16D, File.GetUnixFileMode(Path.Combine(Target, "readonly")));
        Assert.Equal("inside", File.ReadAllText(Path.Combine(Target, "readonly", "inside.txt")));
    }

    [Fact]
    public void LeftoversOfAKilledExtraction_AreCleanedOrRestored()
    {
        // int.MaxValue is never a process id, so these belong to a process that is gone.
        string staleStaging = Path.Combine(Destination, $".murder-{Tag}.{int.MaxValue}.abc.staging");
        Directory.CreateDirectory(Path.Combine(staleStaging, "half"));
        string staleAside = Path.Combine(Destination, $".murder-{Tag}.{int.MaxValue}.def.old");
        Directory.CreateDirectory(staleAside);
        File.WriteAllText(Path.Combine(staleAside, "version.txt"), "previous release");
        string archive = Write(new HostileArchive().File("version.txt", "new release"));

        // Killed between "old aside" and "new in": the previous release comes back, and is not
        // replaced without permission.
        Assert.Equal("DestinationNotEmpty", Assert.Throws<MurderException>(() => Extract(archive)).ErrorId);
        Assert.Equal("previous release", File.ReadAllText(Path.Combine(Target, "version.txt")));
        Assert.Empty(Directory.GetFileSystemEntries(Destination, ".murder-*"));

        Extract(archive, replace: true);
        Assert.Equal("new release", File.ReadAllText(Path.Combine(Target, "version.txt")));
        Assert.Empty(Directory.GetFileSystemEntries(Destination, ".murder-*"));
    }

    [Fact]
    public void ArtifactFromTorrentCreator_RoundTripsByteForByte()
    {
        using var source = new TempDirectory();
        var random = new Random(42);
        byte[] blob = new byte[3 * 1024 * 1024]; // several gzip members
        random.NextBytes(blob);
        source.WriteFile("data/blob.bin", blob);
        source.WriteFile("data/empty.txt", string.Empty);
        source.WriteFile("deep/a/b/c/d.txt", "deep");
        source.WriteFile("ünïcödé.txt", "unicode");
        string script = source.WriteFile("bin/run.sh", "#!/bin/sh\necho hi\n");
        string key = source.WriteFile("private.key", "secret");
        File.CreateSymbolicLink(source.Combine("data", "link-to-blob"), "blob.bin");
        Directory.CreateSymbolicLink(source.Combine("current"), "data");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, (UnixFileMode)0x1ED);
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        TorrentCreationResult created = TorrentCreator.Create(
            TorrentCreator.Plan(new TorrentCreationRequest { Tag = Tag, SourcePath = source.Path, Tracker = "127.0.0.1:8998", OutputDirectory = Archives }),
            null,
            CancellationToken.None);

        ArtifactExtractionResult result = Extract(created.ArtifactPath);
        Assert.Equal(6, result.Files);
        Assert.Equal(2, result.SymbolicLinks);
        Assert.Equal(blob.Length + 4 + 7 + 18 + 6, result.BytesWritten);
        AssertSameTree(source.Path, Target);
    }

    private static void AssertSameTree(string expectedRoot, string actualRoot)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        string[] expected = Directory.GetFileSystemEntries(expectedRoot, "*", options).Select(path => Path.GetRelativePath(expectedRoot, path)).Order(StringComparer.Ordinal).ToArray();
        string[] actual = Directory.GetFileSystemEntries(actualRoot, "*", options).Select(path => Path.GetRelativePath(actualRoot, path)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, actual);
        foreach (string relative in expected)
        {
            var want = new FileInfo(Path.Combine(expectedRoot, relative));
            var got = new FileInfo(Path.Combine(actualRoot, relative));
            Assert.Equal(want.LinkTarget, got.LinkTarget);
            if (want.LinkTarget is not null)
            {
                continue;
            }

            Assert.Equal(want.Attributes.HasFlag(FileAttributes.Directory), got.Attributes.HasFlag(FileAttributes.Directory));
            if (!want.Attributes.HasFlag(FileAttributes.Directory))
            {
                Assert.Equal(File.ReadAllBytes(want.FullName), File.ReadAllBytes(got.FullName));
                Assert.True(Math.Abs((want.LastWriteTimeUtc - got.LastWriteTimeUtc).TotalSeconds) < 1, $"{relative}: {want.LastWriteTimeUtc:O} vs {got.LastWriteTimeUtc:O}");
            }

            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(File.GetUnixFileMode(want.FullName), File.GetUnixFileMode(got.FullName));
            }
        }
    }
}
