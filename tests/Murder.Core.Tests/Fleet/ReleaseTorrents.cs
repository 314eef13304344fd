using System;
using Murder.Core.MetaInfo;
using Murder.Core.Packaging;

namespace Murder.Core.Tests.Fleet;

/// <summary>Small single-file torrents of releases: the same name, different content per seed, so different info-hashes.</summary>
internal static class ReleaseTorrents
{
    public static byte[] Bytes(int seed, string name = "Deploy20260101.tgz", string announce = "http://tracker01:8998/announce")
    {
        byte[] data = new byte[40_000];
        new Random(seed).NextBytes(data);
        using var hasher = new PieceHasher(16_384);
        hasher.Append(data);
        return MetaInfoWriter.CreateSingleFile(
            new SingleFileTorrent { Name = name, Length = data.Length, PieceLength = 16_384, PieceHashes = hasher.Complete(), Announce = announce },
            out _);
    }

    public static TorrentMetaInfo Parse(int seed, string name = "Deploy20260101.tgz", string announce = "http://tracker01:8998/announce") =>
        MetaInfoReader.Parse(Bytes(seed, name, announce));
}
