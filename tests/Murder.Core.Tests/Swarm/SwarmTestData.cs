using System;
using Murder.Core.MetaInfo;
using Murder.Core.Packaging;

namespace Murder.Core.Tests.Swarm;

internal static class SwarmTestData
{
    public static (TorrentMetaInfo Torrent, byte[] Data) Make(int length, int pieceLength, int seed = 1)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        using var hasher = new PieceHasher(pieceLength);
        hasher.Append(data);
        byte[] torrent = MetaInfoWriter.CreateSingleFile(
            new SingleFileTorrent { Name = "swarm.tgz", Length = length, PieceLength = pieceLength, PieceHashes = hasher.Complete(), Announce = "http://127.0.0.1:1/announce" },
            out _);
        return (MetaInfoReader.Parse(torrent), data);
    }
}
