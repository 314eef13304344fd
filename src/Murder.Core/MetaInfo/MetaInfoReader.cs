using System;
using System.Collections.Generic;
using System.IO;
using Murder.Core.BEncoding;
using Murder.Core.Storage;

namespace Murder.Core.MetaInfo;

/// <summary>
/// Reads and validates .torrent files (BitTorrent v1, single- and multi-file). Anything malformed or
/// unsafe is a <see cref="MetaInfoException"/> that says what is wrong; nothing is half-accepted.
/// </summary>
public static class MetaInfoReader
{
    /// <summary>The largest .torrent file accepted (libtorrent's limit).</summary>
    public const int MaxTorrentFileSize = 10 * 1024 * 1024;

    /// <summary>The most pieces accepted (libtorrent's limit).</summary>
    public const int MaxPieceCount = 2_097_152;

    /// <summary>The largest piece length accepted.</summary>
    public const int MaxPieceLength = 256 * 1024 * 1024;

    /// <summary>Reads a .torrent file from disk.</summary>
    public static TorrentMetaInfo Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"The torrent file '{path}' does not exist.", path);
        }

        if (info.Length > MaxTorrentFileSize)
        {
            throw new MetaInfoException($"'{path}' is {info.Length} bytes; torrent files over {MaxTorrentFileSize} bytes are refused.");
        }

        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (MetaInfoException error)
        {
            throw new MetaInfoException($"'{path}' is not a valid torrent: {error.Message}", error);
        }
    }

    /// <summary>Parses and validates a .torrent's bytes. The buffer must not change afterwards.</summary>
    public static TorrentMetaInfo Parse(ReadOnlyMemory<byte> torrent)
    {
        if (torrent.Length > MaxTorrentFileSize)
        {
            throw new MetaInfoException($"The torrent is {torrent.Length} bytes; torrent files over {MaxTorrentFileSize} bytes are refused.");
        }

        BValue root;
        try
        {
            root = BencodeReader.Decode(torrent);
        }
        catch (BencodeException error)
        {
            throw new MetaInfoException(error.Message, error);
        }

        if (root is not BDictionary top)
        {
            throw new MetaInfoException("The top level is not a dictionary.");
        }

        if (top["info"] is not BDictionary info)
        {
            throw new MetaInfoException("The 'info' dictionary is missing.");
        }

        string name = RequireText(info, "name", "info.name");
        string? nameProblem = SafePath.CheckComponent(name);
        if (nameProblem is not null)
        {
            throw new MetaInfoException($"The name '{Printable(name)}' is unsafe: {nameProblem}.");
        }

        int pieceLength = ReadPieceLength(info);
        ReadOnlyMemory<byte> pieces = ReadPieces(info);
        bool isMultiFile;
        List<TorrentFile> files;
        if (info.ContainsKey("files"))
        {
            if (info.ContainsKey("length"))
            {
                throw new MetaInfoException("The info dictionary has both 'length' and 'files'.");
            }

            isMultiFile = true;
            files = ReadFiles(info);
        }
        else
        {
            isMultiFile = false;
            long length = RequireInteger(info, "length", "info.length");
            if (length < 0)
            {
                throw new MetaInfoException($"The length {length} is negative.");
            }

            files = new List<TorrentFile> { new(new[] { name }, length, 0) };
        }

        long total = files.Count == 0 ? 0 : files[^1].Offset + files[^1].Length;
        if (total == 0)
        {
            throw new MetaInfoException("The torrent holds no data (its total length is 0).");
        }

        long expectedPieces = (total + pieceLength - 1) / pieceLength;
        int actualPieces = pieces.Length / InfoHash.Length;
        if (expectedPieces != actualPieces)
        {
            throw new MetaInfoException(
                $"The torrent lists {actualPieces} piece hashes, but {total} bytes in pieces of {pieceLength} need {expectedPieces}.");
        }

        return new TorrentMetaInfo(InfoHash.Compute(info.RawEncoding.Span), name, pieceLength, pieces, files, isMultiFile)
        {
            Announce = OptionalText(top, "announce"),
            AnnounceList = ReadAnnounceList(top),
            IsPrivate = info["private"] is BInteger { Value: 1 },
            CreationDate = top["creation date"] is BInteger date && date.Value >= 0 && date.Value < 253402300800
                ? DateTimeOffset.FromUnixTimeSeconds(date.Value)
                : null,
            CreatedBy = OptionalText(top, "created by"),
            Comment = OptionalText(top, "comment"),
        };
    }

    private static int ReadPieceLength(BDictionary info)
    {
        long pieceLength = RequireInteger(info, "piece length", "info.'piece length'");
        if (pieceLength <= 0)
        {
            throw new MetaInfoException($"The piece length {pieceLength} is not positive.");
        }

        if (pieceLength > MaxPieceLength)
        {
            throw new MetaInfoException($"The piece length {pieceLength} is over the limit of {MaxPieceLength} bytes.");
        }

        return (int)pieceLength;
    }

    private static ReadOnlyMemory<byte> ReadPieces(BDictionary info)
    {
        if (info["pieces"] is not BString pieces)
        {
            throw new MetaInfoException("'info.pieces' is missing or not a byte string.");
        }

        if (pieces.Bytes.Length % InfoHash.Length != 0)
        {
            throw new MetaInfoException($"'info.pieces' is {pieces.Bytes.Length} bytes, not a multiple of {InfoHash.Length}.");
        }

        if (pieces.Bytes.Length / InfoHash.Length > MaxPieceCount)
        {
            throw new MetaInfoException($"The torrent has more than {MaxPieceCount} pieces.");
        }

        return pieces.Bytes;
    }

    private static List<TorrentFile> ReadFiles(BDictionary info)
    {
        if (info["files"] is not BList list || list.Count == 0)
        {
            throw new MetaInfoException("'info.files' is not a non-empty list.");
        }

        var files = new List<TorrentFile>(list.Count);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var directories = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long offset = 0;
        for (int index = 0; index < list.Count; index++)
        {
            if (list[index] is not BDictionary entry)
            {
                throw new MetaInfoException($"File {index} is not a dictionary.");
            }

            long length = RequireInteger(entry, "length", $"file {index} length");
            if (length < 0)
            {
                throw new MetaInfoException($"File {index} has a negative length ({length}).");
            }

            if (entry["path"] is not BList pathList || pathList.Count == 0)
            {
                throw new MetaInfoException($"File {index} has no path.");
            }

            var components = new string[pathList.Count];
            for (int part = 0; part < pathList.Count; part++)
            {
                if (pathList[part] is not BString component || !component.TryGetText(out string text))
                {
                    throw new MetaInfoException($"File {index} has a path component that is not UTF-8 text.");
                }

                string? problem = SafePath.CheckComponent(text);
                if (problem is not null)
                {
                    throw new MetaInfoException($"File {index} has an unsafe path component '{Printable(text)}': {problem}.");
                }

                components[part] = text;
            }

            string path = string.Join('/', components);
            if (!seen.Add(path))
            {
                throw new MetaInfoException($"The path '{path}' appears twice (names are compared ignoring case, as on Windows).");
            }

            for (int depth = 1; depth < components.Length; depth++)
            {
                directories.Add(string.Join('/', components, 0, depth));
            }

            if (offset > long.MaxValue - length)
            {
                throw new MetaInfoException("The file lengths add up to more than 2^63 bytes.");
            }

            files.Add(new TorrentFile(components, length, offset));
            offset += length;
        }

        foreach (TorrentFile file in files)
        {
            if (directories.Contains(file.Path))
            {
                throw new MetaInfoException($"'{file.Path}' is both a file and a directory.");
            }
        }

        return files;
    }

    private static List<IReadOnlyList<string>> ReadAnnounceList(BDictionary top)
    {
        var tiers = new List<IReadOnlyList<string>>();
        if (top["announce-list"] is not BList list)
        {
            return tiers;
        }

        foreach (BValue tierValue in list)
        {
            if (tierValue is not BList tier)
            {
                throw new MetaInfoException("'announce-list' holds something other than lists.");
            }

            var urls = new List<string>();
            foreach (BValue url in tier)
            {
                if (url is not BString text || !text.TryGetText(out string value))
                {
                    throw new MetaInfoException("'announce-list' holds something other than text.");
                }

                urls.Add(value);
            }

            tiers.Add(urls);
        }

        return tiers;
    }

    private static long RequireInteger(BDictionary dictionary, string key, string what)
    {
        if (dictionary[key] is not BInteger integer)
        {
            throw new MetaInfoException($"'{what}' is missing or not an integer.");
        }

        return integer.Value;
    }

    private static string RequireText(BDictionary dictionary, string key, string what)
    {
        if (dictionary[key] is not BString text)
        {
            throw new MetaInfoException($"'{what}' is missing or not a byte string.");
        }

        if (!text.TryGetText(out string value))
        {
            throw new MetaInfoException($"'{what}' is not valid UTF-8.");
        }

        return value;
    }

    private static string? OptionalText(BDictionary dictionary, string key)
    {
        if (dictionary[key] is null)
        {
            return null;
        }

        if (dictionary[key] is not BString text || !text.TryGetText(out string value))
        {
            throw new MetaInfoException($"'{key}' is not UTF-8 text.");
        }

        return value;
    }

    private static string Printable(string text) => text.Replace("\0", "\\0", StringComparison.Ordinal);
}
