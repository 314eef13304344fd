using System;
using System.Text;
using Murder.Core.Tracker;
using Xunit;

namespace Murder.Core.Tests.Tracker;

public sealed class TrackerQueryParserTests
{
    private static string? Parse(string query, out AnnounceRequest request) =>
        TrackerQueryParser.ParseAnnounce(Encoding.ASCII.GetBytes(query), out request);

    [Fact]
    public void ParseAnnounce_DecodesBinaryValuesAndNumbers()
    {
        string query = TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 7, left: 0, extra: "&event=completed&compact=0&no_peer_id=1&numwant=80&key=abc");
        Assert.Null(Parse(query, out AnnounceRequest request));
        Assert.Equal(Hash20.Read(TrackerTestData.Torrent.Bytes), request.InfoHash);
        Assert.Equal(Hash20.Read(Encoding.ASCII.GetBytes(TrackerTestData.PeerId(7))), request.PeerId);
        Assert.Equal(6007, request.Port);
        Assert.Equal(0, request.Left);
        Assert.Equal(TrackerEvent.Completed, request.Event);
        Assert.False(request.Compact);
        Assert.True(request.NoPeerId);
        Assert.Equal(80, request.NumWant);
    }

    [Fact]
    public void ParseAnnounce_AcceptsUnescapedUnreservedBytesAndDefaults()
    {
        Assert.Null(Parse("info_hash=abcdefghij%00%01%02%03%04%05%06%07%08%09&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=5", out AnnounceRequest request));
        Assert.True(request.Compact);
        Assert.Equal(-1, request.NumWant);
        Assert.Equal(TrackerEvent.None, request.Event);
    }

    [Theory]
    [InlineData("peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=0", "missing info_hash")]
    [InlineData("info_hash=abcdefghijklmnopqrst&port=1&left=0", "missing peer_id")]
    [InlineData("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRST&left=0", "missing port")]
    [InlineData("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRST&port=1", "missing left")]
    [InlineData("", "missing info_hash")]
    public void ParseAnnounce_RejectsMissingParameters(string query, string reason) => Assert.Equal(reason, Parse(query, out _));

    [Theory]
    [InlineData("info_hash=abc&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=0", "info_hash is not 20 bytes")]
    [InlineData("info_hash=abcdefghijklmnopqrstu&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=0", "info_hash is not 20 bytes")]
    [InlineData("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRS&port=1&left=0", "peer_id is not 20 bytes")]
    [InlineData("info_hash=abcdefghijklmnopqrst&peer_id=" + "ABCDEFGHIJKLMNOPQRSTABCDEFGHIJKLMNOPQRSTABCDEFGHIJKLMNOPQRST&port=1&left=0", "peer_id is not 20 bytes")]
    [InlineData("info_hash=abcdefghijklmnopqrs%&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=0", "invalid percent-encoding in info_hash")]
    [InlineData("info_hash=abcdefghijklmnopqr%4&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=0", "invalid percent-encoding in info_hash")]
    [InlineData("info_hash=abcdefghijklmnopqr%G1&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=0", "invalid percent-encoding in info_hash")]
    [InlineData("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQR%zz&port=1&left=0", "invalid percent-encoding in peer_id")]
    [InlineData("info_hash=abcdefghijklmnopqrst&info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=0", "more than one info_hash")]
    public void ParseAnnounce_RejectsBadBinaryValues(string query, string reason) => Assert.Equal(reason, Parse(query, out _));

    [Theory]
    [InlineData("port=0", "invalid port")]
    [InlineData("port=65536", "invalid port")]
    [InlineData("port=-1", "invalid port")]
    [InlineData("port=", "invalid port")]
    [InlineData("port=1&left=-5", "invalid left")]
    [InlineData("port=1&left=99999999999999999999", "invalid left")]
    [InlineData("port=1&left=1e3", "invalid left")]
    [InlineData("port=1&left=1&uploaded=x", "invalid uploaded")]
    [InlineData("port=1&left=1&downloaded=+1", "invalid downloaded")]
    [InlineData("port=1&left=1&event=bogus", "invalid event")]
    [InlineData("port=1&left=1&compact=2", "invalid compact")]
    [InlineData("port=1&left=1&numwant=-1", "invalid numwant")]
    public void ParseAnnounce_RejectsBadNumbersAndWords(string rest, string reason) =>
        Assert.Equal(reason, Parse("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRST&" + rest, out _));

    [Fact]
    public void ParseAnnounce_AllowsPortZeroOnlyWhenStopping() =>
        Assert.Null(Parse("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRST&port=0&left=1&event=stopped", out _));

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("2001%3Adb8%3A%3A1", true)]
    [InlineData("evil.example", false)]
    [InlineData("1.2.3.4.5", false)]
    public void ParseAnnounce_ReadsIpOnlyAsLiteralAddress(string ip, bool valid)
    {
        Assert.Null(Parse("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRST&port=1&left=1&ip=" + ip, out AnnounceRequest request));
        Assert.True(request.HasIpParameter);
        Assert.Equal(valid, request.Ip.HasValue);
    }

    [Fact]
    public void ParseScrape_CollectsHashesWithinTheLimit()
    {
        Span<Hash20> hashes = new Hash20[2];
        string one = "info_hash=" + TrackerTestData.Escape(TrackerTestData.Torrent.Bytes);
        Assert.Null(TrackerQueryParser.ParseScrape(Encoding.ASCII.GetBytes(one + "&x=1&" + one), hashes, out int count));
        Assert.Equal(2, count);
        Assert.Equal("too many info_hash parameters", TrackerQueryParser.ParseScrape(Encoding.ASCII.GetBytes(one + "&" + one + "&" + one), hashes, out _));
        Assert.Equal("info_hash is not 20 bytes", TrackerQueryParser.ParseScrape("info_hash=abc"u8, hashes, out _));
        Assert.Null(TrackerQueryParser.ParseScrape(ReadOnlySpan<byte>.Empty, hashes, out count));
        Assert.Equal(0, count);
    }
}
