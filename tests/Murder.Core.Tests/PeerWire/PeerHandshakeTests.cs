using System;
using System.Buffers;
using System.Linq;
using System.Text;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;
using Xunit;

namespace Murder.Core.Tests.PeerWire;

public sealed class PeerHandshakeTests
{
    private static readonly InfoHash Torrent = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly byte[] PeerId = Encoding.ASCII.GetBytes("-MU0100-abcdefghijkl");

    [Fact]
    public void RoundTrip_KeepsEveryField()
    {
        var handshake = new PeerHandshake(Torrent, PeerId, PeerHandshake.ExtensionProtocolBit);
        byte[] wire = handshake.ToBytes();
        Assert.Equal(68, wire.Length);
        Assert.Equal(19, wire[0]);
        Assert.Equal("BitTorrent protocol", Encoding.ASCII.GetString(wire, 1, 19));
        Assert.Equal(0x10, wire[25]); // BEP 10: reserved byte 5, bit 0x10
        Assert.Equal(Torrent.Bytes.ToArray(), wire[28..48]);
        Assert.Equal(PeerId, wire[48..68]);

        Assert.True(PeerHandshake.TryParse(wire, out PeerHandshake? parsed));
        Assert.Equal(Torrent, parsed!.InfoHash);
        Assert.Equal(PeerId, parsed.PeerId.ToArray());
        Assert.True(parsed.SupportsExtensionProtocol);
        parsed.EnsureInfoHash(Torrent);
    }

    [Fact]
    public void Fragmented_NeedsAll68BytesAndConsumesOnlyThem()
    {
        byte[] wire = new PeerHandshake(Torrent, PeerId).ToBytes().Concat(new byte[] { 0, 0, 0, 0 }).ToArray();
        for (int available = 0; available < 68; available++)
        {
            var partial = new ReadOnlySequence<byte>(wire, 0, available);
            Assert.False(PeerHandshake.TryParse(partial, out SequencePosition consumed, out SequencePosition examined, out _));
            Assert.Equal(partial.Start, consumed);
            Assert.Equal(partial.End, examined);
        }

        ReadOnlySequence<byte> whole = SegmentedSequence.OneBytePerSegment(wire);
        Assert.True(PeerHandshake.TryParse(whole, out SequencePosition end, out _, out PeerHandshake? handshake));
        Assert.Equal(68, whole.Slice(whole.Start, end).Length);
        Assert.Equal(Torrent, handshake!.InfoHash);
        Assert.False(handshake.SupportsExtensionProtocol);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    public void WrongProtocolString_IsRejectedAsSoonAsItShows(int position)
    {
        byte[] wire = new PeerHandshake(Torrent, PeerId).ToBytes();
        wire[position] ^= 0x20;
        // Only the bytes up to the wrong one have arrived.
        PeerProtocolException error = Assert.Throws<PeerProtocolException>(() => PeerHandshake.TryParse(wire.AsSpan(0, position + 1), out _));
        Assert.Equal(PeerProtocolError.InvalidHandshake, error.Reason);
    }

    [Fact]
    public void HttpRequest_IsNotAHandshake()
    {
        byte[] wire = Encoding.ASCII.GetBytes("GET /announce HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Throws<PeerProtocolException>(() => PeerHandshake.TryParse(new ReadOnlySequence<byte>(wire), out _, out _, out _));
    }

    [Fact]
    public void UnknownInfoHash_IsReportedAndRejected()
    {
        var other = InfoHash.Parse("ffffffffffffffffffffffffffffffffffffffff");
        Assert.True(PeerHandshake.TryParse(new PeerHandshake(other, PeerId).ToBytes(), out PeerHandshake? handshake));
        Assert.Equal(other, handshake!.InfoHash);
        PeerProtocolException error = Assert.Throws<PeerProtocolException>(() => handshake.EnsureInfoHash(Torrent));
        Assert.Equal(PeerProtocolError.UnknownInfoHash, error.Reason);
        Assert.Contains(other.ToHex(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPeerId_IsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => new PeerHandshake(Torrent, new byte[19]));
        Assert.Throws<ArgumentException>(() => new PeerHandshake(Torrent, PeerId).WriteTo(new byte[67]));
    }
}
