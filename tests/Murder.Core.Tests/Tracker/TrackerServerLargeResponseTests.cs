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

/// <summary>
/// Responses too large to send at once: about 10 MB each, more than a send buffer grows to (Linux's
/// tcp_wmem maximum is 4 MB), so these tests run alone.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class TrackerServerLargeResponseTests
{
    private const int NamedTorrents = 256;

    [Fact]
    public async Task AScrapeOfEverything_ArrivesWhole_WhileOthersAreServed()
    {
        await using var tracker = new TrackerServerFixture();
        RegisterTorrents(tracker, 10_000, new string('n', 1000));

        // A client that asks for the whole scrape with a small receive window and reads nothing
        // yet: the answer cannot all be sent at once, and must not hold up anyone else.
        using Socket slowReader = await ConnectSlowReaderAsync(tracker);
        await slowReader.SendAsync("GET /scrape HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None);
        await AssertAnnouncesAsync(tracker);

        string body = await ReadWholeBodyAsync(slowReader);
        Assert.True(TrackerTestData.Decode(Encoding.Latin1.GetBytes(body)).TryGet("files", out BDictionary files));
        Assert.Equal(10_001, files.Count);
    }

    [Fact]
    public async Task AScrapeOfNamedTorrents_AnsweredOnTheAcceptingThread_ArrivesWhole_WhileOthersAreServed()
    {
        // A scrape that names its torrents is answered at once on the accepting thread; its first
        // send cannot take 10 MB, and the rest must go on without holding that thread.
        await using var tracker = new TrackerServerFixture(new TrackerOptions { MaxRequestHeaderBytes = 32768 });
        RegisterTorrents(tracker, NamedTorrents, new string('n', 40_000));
        var query = new StringBuilder();
        byte[] hash = new byte[20];
        for (int i = 0; i < NamedTorrents; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(hash, i + 1);
            query.Append(i == 0 ? "" : "&").Append("info_hash=").Append(TrackerTestData.Escape(hash));
        }

        using Socket slowReader = await ConnectSlowReaderAsync(tracker);
        await slowReader.SendAsync(Encoding.ASCII.GetBytes($"GET /scrape?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), SocketFlags.None);
        await AssertAnnouncesAsync(tracker);

        string body = await ReadWholeBodyAsync(slowReader);
        Assert.True(TrackerTestData.Decode(Encoding.Latin1.GetBytes(body)).TryGet("files", out BDictionary files));
        Assert.Equal(NamedTorrents, files.Count);
    }

    private static void RegisterTorrents(TrackerServerFixture tracker, int count, string name)
    {
        byte[] hash = new byte[20];
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(hash, i + 1);
            tracker.Server.Register(new InfoHash(hash), name);
        }
    }

    private static async Task<Socket> ConnectSlowReaderAsync(TrackerServerFixture tracker)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(tracker.EndPoint);
        return socket;
    }

    private static async Task AssertAnnouncesAsync(TrackerServerFixture tracker)
    {
        using var client = new HttpTrackerClient(TimeSpan.FromSeconds(30));
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

    private static async Task<string> ReadWholeBodyAsync(Socket socket)
    {
        string response = await RawHttp.ReadUntilClosedAsync(socket);
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        string body = RawHttp.Body(response);
        Assert.True(body.Length > 10_000_000, $"The response should be large; it was {body.Length} bytes.");
        Assert.Equal(RawHttp.ContentLength(response), body.Length);
        return body;
    }
}
