using System;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.BEncoding;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>A response too large to send at once (about 10 MB, so it runs alone).</summary>
[Collection(RunsAlone.Name)]
public sealed class TrackerServerLargeResponseTests
{
    [Fact]
    public async Task AResponseLargerThanTheSocketBuffers_ArrivesWhole_WhileOthersAreServed()
    {
        await using var tracker = new TrackerServerFixture();
        // About 10 MB of scrape: more than a send buffer grows to (Linux's tcp_wmem maximum is 4 MB).
        string longName = new('n', 1000);
        byte[] hash = new byte[20];
        for (int i = 0; i < 10_000; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(hash, i + 1);
            tracker.Server.Register(new InfoHash(hash), longName);
        }

        // A client that asks for the whole scrape with a small receive window and reads nothing
        // yet: the answer cannot all be sent at once, and must not hold up anyone else.
        using var slowReader = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slowReader.ConnectAsync(tracker.EndPoint);
        await slowReader.SendAsync("GET /scrape HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None);
        using (var client = new HttpTrackerClient(TimeSpan.FromSeconds(30)))
        {
            TrackerAnnounceResponse announced = await client.AnnounceAsync(
                new TrackerAnnounceRequest
                {
                    AnnounceUrl = tracker.AnnounceUrl,
                    InfoHash = TrackerTestData.Torrent,
                    PeerId = Encoding.ASCII.GetBytes(TrackerTestData.PeerId(1)),
                    Port = 7001,
                    Left = 100,
                    Event = TrackerEvent.Started,
                },
                CancellationToken.None);
            Assert.Equal(TimeSpan.FromSeconds(15), announced.Interval);
        }

        string response = await RawHttp.ReadUntilClosedAsync(slowReader);
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        string body = RawHttp.Body(response);
        Assert.True(body.Length > 10_000_000, $"The scrape should be large; it was {body.Length} bytes.");
        Assert.Equal(RawHttp.ContentLength(response), body.Length);
        Assert.True(TrackerTestData.Decode(Encoding.Latin1.GetBytes(body)).TryGet("files", out BDictionary files));
        Assert.Equal(10_001, files.Count);
    }
}
