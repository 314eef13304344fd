using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using Murder.Core.MetaInfo;
using Murder.Core.Packaging;
using Xunit;

namespace Murder.Core.Tests.Packaging;

public sealed class TorrentCreatorTests : IDisposable
{
    private readonly TempDirectory _source = new();
    private readonly TempDirectory _output = new();

    public void Dispose()
    {
        _source.Dispose();
        _output.Dispose();
    }

    private TorrentCreationRequest Request(string? tag = null, string? source = null) => new()
    {
        Tag = tag ?? "Deploy1",
        SourcePath = source ?? _source.Path,
        Tracker = "127.0.0.1:8998",
        OutputDirectory = _output.Path,
    };

    private static TorrentCreationResult Create(TorrentCreationRequest request) =>
        TorrentCreator.Create(TorrentCreator.Plan(request), null, CancellationToken.None);

    private static Dictionary<string, TarEntry> ReadArchive(string path, Dictionary<string, byte[]>? contents = null)
    {
        var entries = new Dictionary<string, TarEntry>();
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry(copyData: true) is TarEntry entry)
        {
            entries.Add(entry.Name, entry);
            if (contents is not null && entry.DataStream is Stream data)
            {
                using var buffer = new MemoryStream();
                data.CopyTo(buffer);
                contents[entry.Name] = buffer.ToArray();
            }
        }

        return entries;
    }

    private static void AssertPiecesMatch(TorrentCreationResult result)
    {
        TorrentMetaInfo torrent = MetaInfoReader.Load(result.TorrentPath);
        byte[] artifact = File.ReadAllBytes(result.ArtifactPath);
        Assert.Equal(artifact.Length, torrent.TotalLength);
        Assert.Equal(result.PieceCount, torrent.PieceCount);
        for (int piece = 0; piece < torrent.PieceCount; piece++)
        {
            byte[] data = artifact.AsSpan(piece * torrent.PieceLength, torrent.GetPieceSize(piece)).ToArray();
            Assert.True(SHA1.HashData(data).AsSpan().SequenceEqual(torrent.GetPieceHash(piece)), $"piece {piece} hash");
        }
    }

    private string[] OutputListing() => Directory.GetFileSystemEntries(_output.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Directory_becomes_tgz_and_torrent_with_git_entries_left_out()
    {
        _source.WriteFile("app/bin/run.sh", "#!/bin/sh\necho hi\n");
        _source.WriteFile("app/config.json", "{}");
        _source.WriteFile("README", "hello");
        _source.WriteFile(".gitignore", "out/");
        _source.WriteFile(".git/HEAD", "ref: refs/heads/main");
        _source.WriteFile("app/.github/workflow.yml", "x");
        _source.WriteFile("app/.gitmodules", "x");
        Directory.CreateDirectory(_source.Combine("empty"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_source.Combine("app", "bin", "run.sh"), (UnixFileMode)0b111_101_101);
        }

        TorrentCreationResult result = Create(Request());

        Assert.Equal(_output.Combine("Deploy1.tgz"), result.ArtifactPath);
        Assert.Equal(_output.Combine("Deploy1.tgz.torrent"), result.TorrentPath);
        Assert.Equal(new[] { "Deploy1.tgz", "Deploy1.tgz.torrent" }, OutputListing());
        Assert.Equal(3, result.FileCount);
        Assert.Equal("http://127.0.0.1:8998/announce", result.Tracker);
        Assert.Equal(new FileInfo(result.ArtifactPath).Length, result.Size);

        var contents = new Dictionary<string, byte[]>();
        Dictionary<string, TarEntry> entries = ReadArchive(result.ArtifactPath, contents);
        Assert.Equal(new[] { "README", "app/", "app/bin/", "app/bin/run.sh", "app/config.json", "empty/" }, entries.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(contents["README"]));
        Assert.Equal(TarEntryType.Directory, entries["empty/"].EntryType);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((UnixFileMode)0b111_101_101, entries["app/bin/run.sh"].Mode);
        }

        TorrentMetaInfo torrent = MetaInfoReader.Load(result.TorrentPath);
        Assert.Equal("Deploy1.tgz", torrent.Name);
        Assert.Equal(result.InfoHash, torrent.InfoHash.ToHex());
        Assert.Equal("http://127.0.0.1:8998/announce", torrent.Announce);
        Assert.StartsWith("Murder", torrent.CreatedBy, StringComparison.Ordinal);
        AssertPiecesMatch(result);
    }

    [Fact]
    public void Large_input_is_compressed_in_parallel_members_that_read_back_as_one_stream()
    {
        var random = new Random(7);
        byte[] noise = new byte[3 * 1024 * 1024 + 12345];
        random.NextBytes(noise);
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("compressible line of text\n", 200_000)));
        _source.WriteFile("noise.bin", noise);
        _source.WriteFile("text.txt", text);

        TorrentCreationResult result = Create(Request() with { PieceLength = 16384 });

        var contents = new Dictionary<string, byte[]>();
        ReadArchive(result.ArtifactPath, contents);
        Assert.Equal(noise, contents["noise.bin"]);
        Assert.Equal(text, contents["text.txt"]);
        Assert.Equal(16384, result.PieceLength);
        Assert.True(result.PieceCount > 100);
        AssertPiecesMatch(result);
    }

    [Theory]
    [InlineData(ArtifactCompression.NoCompression)]
    [InlineData(ArtifactCompression.Optimal)]
    [InlineData(ArtifactCompression.SmallestSize)]
    public void Every_compression_level_reads_back(ArtifactCompression level)
    {
        _source.WriteFile("a.txt", string.Concat(Enumerable.Repeat("abc", 100_000)));
        TorrentCreationResult result = Create(Request() with { Compression = level });
        var contents = new Dictionary<string, byte[]>();
        ReadArchive(result.ArtifactPath, contents);
        Assert.Equal(300_000, contents["a.txt"].Length);
        if (level == ArtifactCompression.NoCompression)
        {
            Assert.True(result.Size > 300_000);
        }
        else
        {
            Assert.True(result.Size < 10_000);
        }
    }

    [Fact]
    public void Empty_directory_still_makes_a_valid_artifact()
    {
        TorrentCreationResult result = Create(Request());
        Assert.Empty(ReadArchive(result.ArtifactPath));
        Assert.True(result.Size > 0);
        AssertPiecesMatch(result);
    }

    [Fact]
    public void File_is_used_as_the_artifact_as_it_is()
    {
        byte[] data = new byte[200_000];
        new Random(1).NextBytes(data);
        string file = _source.WriteFile("release.tar.gz", data);

        TorrentCreationResult result = Create(Request(source: file));

        Assert.Equal(data, File.ReadAllBytes(result.ArtifactPath));
        Assert.Equal(200_000, result.Size);
        Assert.Equal(1, result.FileCount);
        Assert.True(File.Exists(file));
        AssertPiecesMatch(result);
    }

    [Fact]
    public void File_already_named_as_the_artifact_is_hashed_in_place()
    {
        byte[] data = new byte[70_000];
        new Random(2).NextBytes(data);
        string artifact = _output.WriteFile("Deploy1.tgz", data);

        TorrentCreationResult result = Create(Request(source: artifact));

        Assert.Equal(artifact, result.ArtifactPath);
        Assert.Equal(data, File.ReadAllBytes(artifact));
        Assert.Equal(new[] { "Deploy1.tgz", "Deploy1.tgz.torrent" }, OutputListing());
        AssertPiecesMatch(result);
    }

    [Fact]
    public void Output_inside_the_source_is_not_packed_into_itself()
    {
        _source.WriteFile("index.html", "<html/>");
        string inside = _source.Combine("dist");
        TorrentCreationResult result = Create(Request() with { OutputDirectory = inside });
        Dictionary<string, TarEntry> entries = ReadArchive(result.ArtifactPath);
        Assert.Contains("index.html", entries.Keys);
        Assert.DoesNotContain(entries.Keys, name => name.Contains(".tgz", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_output_directory_is_created()
    {
        _source.WriteFile("a", "a");
        string nested = _output.Combine("x", "y");
        TorrentCreationResult result = Create(Request() with { OutputDirectory = nested });
        Assert.True(File.Exists(Path.Combine(nested, "Deploy1.tgz.torrent")));
        Assert.Equal(Path.Combine(nested, "Deploy1.tgz"), result.ArtifactPath);
    }

    [Fact]
    public void Existing_artifact_is_kept_without_force_and_replaced_with_it()
    {
        _source.WriteFile("v", "one");
        TorrentCreationResult first = Create(Request());
        _source.WriteFile("v", "two, longer");

        var error = Assert.Throws<MurderException>(() => Create(Request()));
        Assert.Equal("ArtifactExists", error.ErrorId);
        Assert.Contains("-Force", error.Message, StringComparison.Ordinal);
        Assert.Equal(first.InfoHash, MetaInfoReader.Load(first.TorrentPath).InfoHash.ToHex());

        TorrentCreationResult second = Create(Request() with { Force = true });
        Assert.NotEqual(first.InfoHash, second.InfoHash);
        Assert.Equal(new[] { "Deploy1.tgz", "Deploy1.tgz.torrent" }, OutputListing());
        AssertPiecesMatch(second);
    }

    [Theory]
    [InlineData("bad/tag", null, null, "InvalidTag")]
    [InlineData("..", null, null, "InvalidTag")]
    [InlineData("ok", "ftp://x", null, "InvalidTracker")]
    [InlineData("ok", null, 1000, "InvalidPieceLength")]
    public void Bad_input_is_refused_before_anything_is_written(string tag, string? tracker, int? pieceLength, string errorId)
    {
        _source.WriteFile("a", "a");
        var request = Request(tag) with { Tracker = tracker ?? "127.0.0.1:8998", PieceLength = pieceLength };
        var error = Assert.Throws<MurderException>(() => TorrentCreator.Plan(request));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Empty(OutputListing());
    }

    [Fact]
    public void Missing_source_is_PathNotFound()
    {
        var error = Assert.Throws<MurderException>(() => TorrentCreator.Plan(Request(source: _source.Combine("nope"))));
        Assert.Equal("PathNotFound", error.ErrorId);
    }

    [Fact]
    public void Empty_file_is_EmptyArtifact()
    {
        string empty = _source.WriteFile("empty.tgz", Array.Empty<byte>());
        Assert.Equal("EmptyArtifact", Assert.Throws<MurderException>(() => TorrentCreator.Plan(Request(source: empty))).ErrorId);
    }

    [Fact]
    public void Output_path_that_is_a_file_is_refused()
    {
        string file = _output.WriteFile("f", "x");
        _source.WriteFile("a", "a");
        var error = Assert.Throws<MurderException>(() => TorrentCreator.Plan(Request() with { OutputDirectory = file }));
        Assert.Equal("InvalidOutputDirectory", error.ErrorId);
    }

    [Fact]
    public void Symbolic_link_inside_the_tree_is_kept_as_a_link()
    {
        _source.WriteFile("lib/real.so", "ELF");
        File.CreateSymbolicLink(_source.Combine("lib", "alias.so"), "real.so");
        File.CreateSymbolicLink(_source.Combine("current"), "lib/../lib");
        TorrentCreationResult result = Create(Request());
        Dictionary<string, TarEntry> entries = ReadArchive(result.ArtifactPath);
        Assert.Equal(TarEntryType.SymbolicLink, entries["lib/alias.so"].EntryType);
        Assert.Equal("real.so", entries["lib/alias.so"].LinkName);
        Assert.Equal("lib/../lib", entries["current"].LinkName);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../outside")]
    [InlineData("../x/../../outside")]
    [InlineData("C:/Windows")]
    public void Symbolic_link_pointing_outside_is_refused_and_nothing_is_left(string target)
    {
        _source.WriteFile("sub/file", "x");
        File.CreateSymbolicLink(_source.Combine("sub", "link"), target);
        var error = Assert.Throws<MurderException>(() => Create(Request()));
        Assert.Equal("UnsafeSymbolicLink", error.ErrorId);
        Assert.Contains("sub/link", error.Message, StringComparison.Ordinal);
        Assert.Empty(OutputListing());
    }

    [Fact]
    public void Fifo_is_skipped_with_a_reason_instead_of_hanging()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // mkfifo exists only on Unix; Windows has no FIFOs in the file system.
        }

        _source.WriteFile("a.txt", "a");
        using (Process mkfifo = Process.Start("mkfifo", _source.Combine("pipe")))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        TorrentCreationResult result = Create(Request());
        Assert.Contains(result.Skipped, reason => reason.StartsWith("pipe", StringComparison.Ordinal));
        Assert.Equal(new[] { "a.txt" }, ReadArchive(result.ArtifactPath).Keys);
    }

    [Fact]
    public void Cancellation_leaves_nothing_behind()
    {
        byte[] data = new byte[8 * 1024 * 1024];
        new Random(3).NextBytes(data);
        _source.WriteFile("big.bin", data);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => TorrentCreator.Create(TorrentCreator.Plan(Request()), null, cancel.Token));
        Assert.Empty(OutputListing());
    }

    [Fact]
    public void Failure_removes_an_output_directory_it_created()
    {
        _source.WriteFile("sub/file", "x");
        File.CreateSymbolicLink(_source.Combine("sub", "link"), "/etc/passwd");
        string nested = _output.Combine("new");
        Assert.Throws<MurderException>(() => Create(Request() with { OutputDirectory = nested }));
        Assert.False(Directory.Exists(nested));
    }

    [Fact]
    public void Progress_reports_the_work_done()
    {
        byte[] data = new byte[2 * 1024 * 1024];
        _source.WriteFile("zeros.bin", data);
        var progress = new TorrentCreationProgress();
        TorrentCreationResult result = TorrentCreator.Create(TorrentCreator.Plan(Request()), progress, CancellationToken.None);
        Assert.True(progress.EstimatedTotalBytes >= data.Length);
        Assert.True(progress.BytesProcessed >= data.Length);
        Assert.Equal(result.Size, progress.BytesWritten);
    }
}
