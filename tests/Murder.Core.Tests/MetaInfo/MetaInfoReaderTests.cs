using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using Murder.Core.BEncoding;
using Murder.Core.MetaInfo;
using Xunit;

namespace Murder.Core.Tests.MetaInfo;

public class MetaInfoReaderTests
{
    private static BDictionary SingleFileInfo(long length = 40_000, long pieceLength = 16384, int? pieces = null, string name = "Deploy1.tgz")
    {
        int count = pieces ?? (int)((length + pieceLength - 1) / pieceLength);
        var info = new BDictionary();
        info.Set("length", new BInteger(length));
        info.Set("name", new BString(name));
        info.Set("piece length", new BInteger(pieceLength));
        info.Set("pieces", new BString(new byte[count * 20]));
        return info;
    }

    private static byte[] Torrent(BDictionary info, string? announce = "http://127.0.0.1:8998/announce")
    {
        var top = new BDictionary();
        if (announce is not null)
        {
            top.Set("announce", new BString(announce));
        }

        top.Set("info", info);
        return BencodeWriter.Encode(top);
    }

    private static BDictionary MultiFileInfo(params (string[] Path, long Length)[] files)
    {
        var info = new BDictionary();
        var list = new BList();
        long total = 0;
        foreach ((string[] path, long length) in files)
        {
            var entry = new BDictionary();
            entry.Set("length", new BInteger(length));
            var components = new BList();
            foreach (string part in path)
            {
                components.Add(new BString(part));
            }

            entry.Set("path", components);
            list.Add(entry);
            total += Math.Max(0, length);
        }

        info.Set("files", list);
        info.Set("name", new BString("release"));
        info.Set("piece length", new BInteger(16384));
        info.Set("pieces", new BString(new byte[Math.Max(1, (total + 16383) / 16384) * 20]));
        return info;
    }

    private static string Fails(byte[] torrent) => Assert.Throws<MetaInfoException>(() => MetaInfoReader.Parse(torrent)).Message;

    [Fact]
    public void Single_file_torrent_is_read_and_hashed_over_the_raw_info_bytes()
    {
        BDictionary info = SingleFileInfo();
        byte[] bytes = Torrent(info);
        TorrentMetaInfo torrent = MetaInfoReader.Parse(bytes);
        Assert.Equal("Deploy1.tgz", torrent.Name);
        Assert.Equal(40_000, torrent.TotalLength);
        Assert.Equal(3, torrent.PieceCount);
        Assert.Equal(16384, torrent.GetPieceSize(0));
        Assert.Equal(40_000 - (2 * 16384), torrent.GetPieceSize(2));
        Assert.False(torrent.IsMultiFile);
        Assert.Equal("http://127.0.0.1:8998/announce", torrent.Announce);
        Assert.Equal(Convert.ToHexString(SHA1.HashData(BencodeWriter.Encode(info))).ToLowerInvariant(), torrent.InfoHash.ToHex());
    }

    [Fact]
    public void Info_hash_uses_the_bytes_as_written_even_with_unknown_keys()
    {
        BDictionary info = SingleFileInfo();
        info.Set("x-custom", new BString("kept"));
        byte[] bytes = Torrent(info);
        string text = Encoding.Latin1.GetString(bytes);
        int start = text.IndexOf("4:infod", StringComparison.Ordinal) + 6;
        byte[] raw = bytes.AsSpan(start, bytes.Length - start - 1).ToArray();
        Assert.Equal(new InfoHash(SHA1.HashData(raw)), MetaInfoReader.Parse(bytes).InfoHash);
    }

    [Fact]
    public void Multi_file_torrent_gets_offsets()
    {
        byte[] bytes = Torrent(MultiFileInfo((new[] { "a", "x.txt" }, 10), (new[] { "b.txt" }, 20_000)));
        TorrentMetaInfo torrent = MetaInfoReader.Parse(bytes);
        Assert.True(torrent.IsMultiFile);
        Assert.Equal(2, torrent.Files.Count);
        Assert.Equal("a/x.txt", torrent.Files[0].Path);
        Assert.Equal(10, torrent.Files[1].Offset);
        Assert.Equal(20_010, torrent.TotalLength);
    }

    [Theory]
    [InlineData(0, "not positive")]
    [InlineData(-16384, "not positive")]
    [InlineData(1L << 40, "over the limit")]
    public void Bad_piece_lengths_are_rejected(long pieceLength, string reason)
    {
        var info = SingleFileInfo(pieces: 1);
        info.Set("piece length", new BInteger(pieceLength));
        Assert.Contains(reason, Fails(Torrent(info)), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_piece_length_is_rejected()
    {
        var info = SingleFileInfo();
        var copy = new BDictionary();
        foreach (var entry in info)
        {
            if (entry.Key.Text != "piece length")
            {
                copy.Set(entry.Key, entry.Value);
            }
        }

        Assert.Contains("piece length", Fails(Torrent(copy)), StringComparison.Ordinal);
    }

    [Fact]
    public void Pieces_not_a_multiple_of_20_are_rejected()
    {
        var info = SingleFileInfo();
        info.Set("pieces", new BString(new byte[59]));
        Assert.Contains("not a multiple of 20", Fails(Torrent(info)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Piece_count_must_match_the_size(int pieces)
    {
        Assert.Contains("need 3", Fails(Torrent(SingleFileInfo(pieces: pieces))), StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_length_torrent_is_rejected()
    {
        Assert.Contains("no data", Fails(Torrent(SingleFileInfo(length: 0, pieces: 0))), StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_length_is_rejected()
    {
        Assert.Contains("negative", Fails(Torrent(SingleFileInfo(length: -5, pieces: 0))), StringComparison.Ordinal);
        Assert.Contains("negative", Fails(Torrent(MultiFileInfo((new[] { "a" }, -1)))), StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> UnsafeComponents() => new[]
    {
        new object[] { "" }, new object[] { "." }, new object[] { ".." }, new object[] { "/etc" }, new object[] { "c:" },
        new object[] { "C:x" }, new object[] { "\\\\server\\share" }, new object[] { "a\0b" }, new object[] { "foo/../../bar" },
        new object[] { "a\\b" }, new object[] { "CON" }, new object[] { "nul.txt" }, new object[] { "trailing." },
    };

    [Theory]
    [MemberData(nameof(UnsafeComponents))]
    public void Unsafe_path_components_are_rejected(string component)
    {
        Assert.Contains("unsafe", Fails(Torrent(MultiFileInfo((new[] { "ok", component }, 1)))), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UnsafeComponents))]
    public void Unsafe_names_are_rejected(string name)
    {
        Assert.Contains("unsafe", Fails(Torrent(SingleFileInfo(name: name))), StringComparison.Ordinal);
    }

    [Fact]
    public void Names_equal_but_for_case_are_rejected()
    {
        Assert.Contains("appears twice", Fails(Torrent(MultiFileInfo((new[] { "App.dll" }, 1), (new[] { "app.DLL" }, 1)))), StringComparison.Ordinal);
    }

    [Fact]
    public void File_that_is_also_a_directory_is_rejected()
    {
        Assert.Contains("both a file and a directory", Fails(Torrent(MultiFileInfo((new[] { "a" }, 1), (new[] { "a", "b" }, 1)))), StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_path_list_is_rejected()
    {
        Assert.Contains("no path", Fails(Torrent(MultiFileInfo((Array.Empty<string>(), 1)))), StringComparison.Ordinal);
    }

    [Fact]
    public void Both_length_and_files_are_rejected()
    {
        var info = MultiFileInfo((new[] { "a" }, 1));
        info.Set("length", new BInteger(1));
        Assert.Contains("both", Fails(Torrent(info)), StringComparison.Ordinal);
    }

    [Fact]
    public void Non_utf8_name_is_rejected()
    {
        var info = SingleFileInfo();
        info.Set("name", new BString(new byte[] { 0xff, 0xfe }));
        Assert.Contains("UTF-8", Fails(Torrent(info)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("le")]
    [InlineData("de")]
    [InlineData("d4:infoi1ee")]
    [InlineData("d4:infod4:name1:xe")]
    public void Structurally_wrong_torrents_are_rejected(string text)
    {
        Assert.Throws<MetaInfoException>(() => MetaInfoReader.Parse(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Bencode_errors_surface_as_metainfo_errors()
    {
        Assert.Contains("leading zero", Fails(Encoding.ASCII.GetBytes("d4:infoi01ee")), StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_torrent_is_rejected_before_parsing()
    {
        byte[] huge = new byte[MetaInfoReader.MaxTorrentFileSize + 1];
        Assert.Contains("refused", Fails(huge), StringComparison.Ordinal);
    }

    [Fact]
    public void Private_flag_and_optional_fields_are_read()
    {
        var info = SingleFileInfo();
        info.Set("private", new BInteger(1));
        var top = new BDictionary();
        top.Set("info", info);
        top.Set("created by", new BString("Murder 0.1.0"));
        top.Set("creation date", new BInteger(1_700_000_000));
        top.Set("announce-list", new BList { new BList { new BString("http://a/announce") } });
        TorrentMetaInfo torrent = MetaInfoReader.Parse(BencodeWriter.Encode(top));
        Assert.True(torrent.IsPrivate);
        Assert.Equal("Murder 0.1.0", torrent.CreatedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), torrent.CreationDate);
        Assert.Equal("http://a/announce", torrent.AnnounceList[0][0]);
        Assert.Null(torrent.Announce);
    }
}
