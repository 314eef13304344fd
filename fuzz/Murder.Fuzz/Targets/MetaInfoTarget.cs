using System;
using System.Collections.Generic;
using Murder.Core.BEncoding;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Murder.Core.Storage;

namespace Murder.Fuzz.Targets;

/// <summary>
/// MetaInfoReader.Parse: throws only MetaInfoException. A torrent it accepts is consistent (safe,
/// unique names; lengths that add up; one hash per piece; the info-hash of the info dictionary's
/// bytes) and its geometry is one the peer wire reader and validator accept.
/// </summary>
internal static class MetaInfoTarget
{
    public static void Run(byte[] data)
    {
        TorrentMetaInfo torrent;
        try
        {
            torrent = MetaInfoReader.Parse(data);
        }
        catch (MetaInfoException)
        {
            return;
        }

        Check(SafePath.CheckComponent(torrent.Name) is null, "the name is not a safe path component");
        Check(torrent.PieceLength > 0 && torrent.PieceLength <= MetaInfoReader.MaxPieceLength, "the piece length is out of range");
        Check(torrent.Files.Count > 0 && torrent.TotalLength > 0, "an accepted torrent holds no data");

        long offset = 0;
        var paths = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (TorrentFile file in torrent.Files)
        {
            Check(file.Length >= 0 && file.Offset == offset, $"file '{file.Path}' has length {file.Length} at offset {file.Offset}, expected offset {offset}");
            Check(file.PathComponents.Count > 0, "a file has no path");
            foreach (string component in file.PathComponents)
            {
                Check(SafePath.CheckComponent(component) is null, $"the path component '{component}' is unsafe");
            }

            Check(paths.Add(file.Path), $"the path '{file.Path}' appears twice");
            offset += file.Length;
        }

        Check(offset == torrent.TotalLength, "the file lengths do not add up to the total length");
        long expectedPieces = (torrent.TotalLength + torrent.PieceLength - 1) / torrent.PieceLength;
        Check(torrent.PieceCount == expectedPieces, "the piece count does not match the total length");
        Check(torrent.PieceHashes.Length == torrent.PieceCount * InfoHash.Length, "the piece hashes are not 20 bytes each");
        long sum = 0;
        for (int index = 0; index < torrent.PieceCount; index++)
        {
            int size = torrent.GetPieceSize(index);
            Check(size > 0 && size <= torrent.PieceLength, $"piece {index} has size {size}");
            sum += size;
        }

        Check(sum == torrent.TotalLength, "the piece sizes do not add up to the total length");

        var root = (BDictionary)BencodeReader.Decode(data);
        var info = (BDictionary)root["info"]!;
        Check(InfoHash.Compute(BencodeWriter.Encode(info)) == torrent.InfoHash, "the info-hash is not the SHA-1 of the info dictionary");

        // Whatever the reader accepts, the peer wire side must be able to serve.
        var validator = PeerMessageValidator.For(torrent);
        Check(validator.LastPieceLength == torrent.GetPieceSize(torrent.PieceCount - 1), "the validator disagrees about the last piece's length");
        _ = new PeerMessageReader(torrent.PieceCount);
    }

    private static void Check(bool condition, string what) => FuzzInvariantException.Check(condition, "accepted torrent: " + what);
}
