using System;
using System.Text;
using Murder.Core.BEncoding;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tests.Tracker;

internal static class TrackerTestData
{
    public static readonly InfoHash Torrent = InfoHash.Parse("00112233445566778899aabbccddeeff0a1b2c3d");
    public static readonly InfoHash Other = InfoHash.Parse("ffeeddccbbaa99887766554433221100f0e0d0c0");

    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes)
        {
            text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    public static string PeerId(int n) => "-TT0001-" + n.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);

    public static string AnnounceQuery(InfoHash infoHash, int peer, long left = 100, string? extra = null, int? port = null) =>
        $"info_hash={Escape(infoHash.Bytes)}&peer_id={PeerId(peer)}&port={port ?? (6000 + peer)}&uploaded=0&downloaded=0&left={left}{extra}";

    public static BDictionary Decode(ReadOnlySpan<byte> body) => (BDictionary)BencodeReader.Decode(body.ToArray());

    public static string? Failure(ReadOnlySpan<byte> body) =>
        Decode(body).TryGet("failure reason", out BString reason) ? reason.Text : null;
}
