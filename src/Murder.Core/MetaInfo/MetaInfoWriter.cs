using System;
using Murder.Core.BEncoding;

namespace Murder.Core.MetaInfo;

/// <summary>Writes single-file BitTorrent v1 metainfo (BEP 3), canonical bencode.</summary>
public static class MetaInfoWriter
{
    /// <summary>
    /// Builds the .torrent bytes for one file. The info-hash is returned too, computed over the
    /// exact info bytes written.
    /// </summary>
    public static byte[] CreateSingleFile(SingleFileTorrent torrent, out InfoHash infoHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(torrent.Name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(torrent.PieceLength);
        if (torrent.PieceHashes.Length % InfoHash.Length != 0)
        {
            throw new ArgumentException("Piece hashes must be 20 bytes each.", nameof(torrent));
        }

        long expectedPieces = (torrent.Length + torrent.PieceLength - 1) / torrent.PieceLength;
        if (expectedPieces != torrent.PieceHashes.Length / InfoHash.Length)
        {
            throw new ArgumentException($"{torrent.Length} bytes need {expectedPieces} piece hashes.", nameof(torrent));
        }

        var info = new BDictionary();
        info.Set("length", new BInteger(torrent.Length));
        info.Set("name", new BString(torrent.Name));
        info.Set("piece length", new BInteger(torrent.PieceLength));
        info.Set("pieces", new BString(torrent.PieceHashes));
        if (torrent.IsPrivate)
        {
            info.Set("private", new BInteger(1));
        }

        byte[] infoBytes = BencodeWriter.Encode(info);
        infoHash = InfoHash.Compute(infoBytes);

        var top = new BDictionary();
        if (!string.IsNullOrEmpty(torrent.Announce))
        {
            top.Set("announce", new BString(torrent.Announce));
        }

        if (!string.IsNullOrEmpty(torrent.CreatedBy))
        {
            top.Set("created by", new BString(torrent.CreatedBy));
        }

        if (torrent.CreationDate is DateTimeOffset created)
        {
            top.Set("creation date", new BInteger(created.ToUnixTimeSeconds()));
        }

        if (!string.IsNullOrEmpty(torrent.Comment))
        {
            top.Set("comment", new BString(torrent.Comment));
        }

        top.Set("info", info);
        return BencodeWriter.Encode(top);
    }
}
