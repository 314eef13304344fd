using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;
using Murder.Core.Tracker.Server;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>The socket edge on 127.0.0.1, driven by raw sockets and by the HTTP tracker client.</summary>
public sealed class TrackerServerTests
{
    // Bounds for waiting on something to happen; never an assertion about speed.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static TrackerAnnounceRequest Announce(Uri url, int peer, long left = 100, TrackerEvent trackerEvent = TrackerEvent.Started, InfoHash? infoHash = null) => new()
    {
        AnnounceUrl = url,
        InfoHash = infoHash ?? TrackerTestData.Torrent,
        PeerId = Encoding.ASCII.GetBytes(TrackerTestData.PeerId(peer)),
        Port = 7000 + peer,
        Left = left,
        Event = trackerEvent,
        NumWant = 50,
    };

    private static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        return socket;
    }

    /// <summary>Sends raw bytes and reads until the server closes the connection.</summary>
    private static async Task<string> SendAndReadToEndAsync(IPEndPoint endpoint, byte[] request)
    {
        using Socket socket = await ConnectAsync(endpoint);
        await socket.SendAsync(request, SocketFlags.None);
        return await ReadToEndAsync(socket);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var received = new List<byte>();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    private static async Task AssertStillServesAsync(TrackerServerFixture tracker, int peer)
    {
        using var client = new HttpTrackerClient(Patience);
        TrackerAnnounceResponse response = await client.AnnounceAsync(Announce(tracker.AnnounceUrl, peer), CancellationToken.None);
        Assert.Equal(TimeSpan.FromSeconds(15), response.Interval);
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(condition, Patience);

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < patience, "The condition did not become true in time.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Client_AnnouncesScrapesAndSeesOtherPeers()
    {
        await using var tracker = new TrackerServerFixture();
        using var client = new HttpTrackerClient();
        TrackerAnnounceResponse first = await client.AnnounceAsync(Announce(tracker.AnnounceUrl, 1), CancellationToken.None);
        Assert.Empty(first.Peers);
        TrackerAnnounceResponse second = await client.AnnounceAsync(Announce(tracker.AnnounceUrl, 2, left: 0), CancellationToken.None);
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Loopback, 7001) }, second.Peers);
        Assert.Equal(1, second.Seeders);
        Assert.Equal(1, second.Leechers);

        IReadOnlyList<TrackerTorrentStatus> all = await client.ScrapeAsync(tracker.AnnounceUrl, Array.Empty<InfoHash>(), CancellationToken.None);
        TrackerTorrentStatus status = Assert.Single(all);
        Assert.Equal(TrackerTestData.Torrent.ToHex(), status.InfoHash);
        Assert.Equal("Deploy1.tgz", status.Name);
        Assert.Equal(1, status.Seeders);
        Assert.Equal(1, status.Leechers);

        await client.AnnounceAsync(Announce(tracker.AnnounceUrl, 2, left: 0, trackerEvent: TrackerEvent.Stopped), CancellationToken.None);
        Assert.Equal(0, (await client.ScrapeAsync(tracker.AnnounceUrl, new[] { TrackerTestData.Torrent }, CancellationToken.None))[0].Seeders);
    }

    [Fact]
    public async Task Client_SurfacesTheFailureReason()
    {
        await using var tracker = new TrackerServerFixture();
        using var client = new HttpTrackerClient();
        MurderException error = await Assert.ThrowsAsync<MurderException>(() => client.AnnounceAsync(Announce(tracker.AnnounceUrl, 1, infoHash: TrackerTestData.Other), CancellationToken.None));
        Assert.Equal("TrackerFailure", error.ErrorId);
        Assert.Contains("unregistered torrent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_ReportsAnUnreachableTracker()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var client = new HttpTrackerClient(TimeSpan.FromSeconds(5));
        MurderException error = await Assert.ThrowsAsync<MurderException>(() => client.AnnounceAsync(Announce(new Uri($"http://127.0.0.1:{port}/announce"), 1), CancellationToken.None));
        Assert.Equal("TrackerUnreachable", error.ErrorId);
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", "HTTP/1.1 400")]
    [InlineData("GET /announce HTTP/9.9\r\nHost: a\r\n\r\n", "HTTP/1.1 505")]
    [InlineData("POST /announce HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405")]
    [InlineData("GET /announce HTTP/1.1\r\n\r\n", "HTTP/1.1 400")]
    [InlineData("\0\0\0\0\r\n\r\n", "HTTP/1.1 400")]
    public async Task MalformedRequests_GetABencodedFailureAndAClosedConnection(string request, string status)
    {
        await using var tracker = new TrackerServerFixture();
        string response = await SendAndReadToEndAsync(tracker.EndPoint, Encoding.Latin1.GetBytes(request));
        Assert.StartsWith(status, response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
        Assert.Contains("d14:failure reason", response, StringComparison.Ordinal);
        await AssertStillServesAsync(tracker, 1);
    }

    [Fact]
    public async Task OversizedHeaders_Get431AndAClosedConnection()
    {
        await using var tracker = new TrackerServerFixture(new TrackerOptions { MaxRequestHeaderBytes = 1024 });
        string request = "GET /announce HTTP/1.1\r\nHost: a\r\nX-Filler: " + new string('x', 5000) + "\r\n\r\n";
        string response = await SendAndReadToEndAsync(tracker.EndPoint, Encoding.ASCII.GetBytes(request));
        Assert.StartsWith("HTTP/1.1 431", response, StringComparison.Ordinal);
        await AssertStillServesAsync(tracker, 1);
    }

    [Theory]
    [InlineData("info_hash=%ZZ", "invalid percent-encoding in info_hash")]
    [InlineData("info_hash=short", "info_hash is not 20 bytes")]
    [InlineData("info_hash=abcdefghijklmnopqrst&peer_id=short&port=1&left=0", "peer_id is not 20 bytes")]
    [InlineData("info_hash=abcdefghijklmnopqrst&peer_id=ABCDEFGHIJKLMNOPQRST&left=0", "missing port")]
    public async Task BadParameters_GetABencodedFailureOnAConnectionThatStaysOpen(string query, string reason)
    {
        await using var tracker = new TrackerServerFixture();
        using Socket socket = await ConnectAsync(tracker.EndPoint);
        string request = $"GET /announce?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /announce?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        string responses = await ReadToEndAsync(socket);
        string expected = $"d14:failure reason{reason.Length}:{reason}e";
        Assert.Equal(2, responses.Split(expected).Length - 1);
        Assert.Equal(2, responses.Split("HTTP/1.1 200 OK").Length - 1);
    }

    [Fact]
    public async Task ClientsThatNeverFinishARequest_AreCutOffWhileOthersAreServed()
    {
        await using var tracker = new TrackerServerFixture(new TrackerOptions { RequestTimeout = TimeSpan.FromSeconds(1) });
        using Socket silent = await ConnectAsync(tracker.EndPoint);
        using Socket slow = await ConnectAsync(tracker.EndPoint);
        await slow.SendAsync(Encoding.ASCII.GetBytes("GET /announce?info_hash="), SocketFlags.None);
        Task<string> silentEnd = ReadToEndAsync(silent);
        Task<string> slowEnd = ReadToEndAsync(slow);
        for (int i = 0; i < 3 && !slowEnd.IsCompleted; i++)
        {
            // Trickle a byte now and then: progress must not extend the deadline.
            await slow.SendAsync("x"u8.ToArray(), SocketFlags.None);
            await AssertStillServesAsync(tracker, i);
        }

        Assert.Equal(string.Empty, await slowEnd);
        Assert.Equal(string.Empty, await silentEnd);
        await WaitUntilAsync(() => tracker.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task ThousandsOfStalledConnections_AreHeldWithoutStoppingTheTracker()
    {
        // Each sends the start of a request line and stops, so the tracker (not the kernel's deferred
        // accept queue) holds all of them; the request deadline is long enough to see them all in.
        await using var tracker = new TrackerServerFixture(new TrackerOptions { MaxConnections = 5000, RequestTimeout = TimeSpan.FromMinutes(2) });
        var stalled = new List<Socket>();
        try
        {
            byte[] start = Encoding.ASCII.GetBytes("GET /ann");
            for (int i = 0; i < 2000; i++)
            {
                Socket socket = await ConnectAsync(tracker.EndPoint);
                stalled.Add(socket);
                await socket.SendAsync(start, SocketFlags.None);
            }

            await WaitUntilAsync(() => tracker.Server.ConnectionCount == 2000);
            await AssertStillServesAsync(tracker, 1);
            await AssertStillServesAsync(tracker, 2);
        }
        finally
        {
            foreach (Socket socket in stalled)
            {
                socket.Dispose();
            }
        }

        await WaitUntilAsync(() => tracker.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task ThousandsOfSilentConnections_DoNotStopTheTracker()
    {
        // Connections that never send a byte: on Linux the kernel keeps most of them out of the
        // tracker (deferred accept) for a while, elsewhere the tracker holds them. Either way the
        // others are served, and nothing stays behind once they close.
        await using var tracker = new TrackerServerFixture(new TrackerOptions { MaxConnections = 5000 });
        var silent = new List<Socket>();
        try
        {
            for (int i = 0; i < 2000; i++)
            {
                silent.Add(await ConnectAsync(tracker.EndPoint));
            }

            await AssertStillServesAsync(tracker, 1);
            await AssertStillServesAsync(tracker, 2);
            Assert.InRange(tracker.Server.ConnectionCount, 0, 2000 + 2); // + the two announces' own
        }
        finally
        {
            foreach (Socket socket in silent)
            {
                socket.Dispose();
            }
        }

        // Connections the kernel still held reach the tracker with their close, some only after the
        // kernel's retransmission backoff (seen here: up to about 10 s), hence the longer wait.
        await WaitUntilAsync(() => tracker.Server.ConnectionCount == 0, TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task ConnectionsPastTheLimit_AreRefusedUntilSlotsFree()
    {
        await using var tracker = new TrackerServerFixture(new TrackerOptions { MaxConnections = 20 });
        var idle = new List<Socket>();
        for (int i = 0; i < 20; i++)
        {
            idle.Add(await ConnectAsync(tracker.EndPoint));
        }

        await WaitUntilAsync(() => tracker.Server.ConnectionCount == 20);
        string refused = await SendAndReadToEndAsync(tracker.EndPoint, Encoding.ASCII.GetBytes("GET /scrape HTTP/1.1\r\nHost: a\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 503", refused, StringComparison.Ordinal);

        foreach (Socket socket in idle)
        {
            socket.Dispose();
        }

        await WaitUntilAsync(() => tracker.Server.ConnectionCount == 0);
        await AssertStillServesAsync(tracker, 1);
    }

    [Fact]
    public async Task KeepAlive_ServesPipelinedRequestsOnOneConnection()
    {
        await using var tracker = new TrackerServerFixture();
        using Socket socket = await ConnectAsync(tracker.EndPoint);
        string one = "GET /announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        string two = "GET /scrape HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        byte[] both = Encoding.ASCII.GetBytes(one + two);
        // Split mid-request: the parser must wait for the rest.
        await socket.SendAsync(both.AsMemory(0, 30), SocketFlags.None);
        await Task.Delay(50);
        await socket.SendAsync(both.AsMemory(30), SocketFlags.None);
        string responses = await ReadToEndAsync(socket);
        Assert.Equal(2, responses.Split("HTTP/1.1 200 OK").Length - 1);
        Assert.Contains("5:filesd20:", responses, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionClose_GetsTheWholeResponseAndAnOrderlyClose()
    {
        await using var tracker = new TrackerServerFixture();
        using Socket socket = await ConnectAsync(tracker.EndPoint);
        string request = "GET /announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        // Read to the end without forgiving a reset: the answer must end with the server's FIN.
        string response = await RawHttp.ReadUntilClosedAsync(socket);
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
        Assert.Equal(RawHttp.ContentLength(response), RawHttp.Body(response).Length);
        Assert.Contains("8:intervali15e", response, StringComparison.Ordinal);
        await WaitUntilAsync(() => tracker.Server.ConnectionCount == 0);
        Assert.Equal(1, tracker.Server.PeerCount);
    }

    [Fact]
    public async Task Http10RequestWithoutKeepAlive_IsAnsweredAndClosed()
    {
        await using var tracker = new TrackerServerFixture();
        string request = "GET /announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        using Socket socket = await ConnectAsync(tracker.EndPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        string response = await RawHttp.ReadUntilClosedAsync(socket);
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARequestThatArrivesInPieces_IsServed()
    {
        await using var tracker = new TrackerServerFixture();
        using Socket socket = await ConnectAsync(tracker.EndPoint);
        byte[] request = Encoding.ASCII.GetBytes("GET /announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        int[] cuts = { 0, 5, 40, request.Length - 3, request.Length };
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            await socket.SendAsync(request.AsMemory(cuts[i], cuts[i + 1] - cuts[i]), SocketFlags.None);
            // Let each piece arrive on its own, so the server sees a partial request after the accept.
            await Task.Delay(50);
        }

        string response = await RawHttp.ReadUntilClosedAsync(socket);
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.Equal(1, tracker.Server.PeerCount);
    }

    [Fact]
    public async Task PipelinedRequestsInTheFirstPacket_AreAllAnsweredInOrder()
    {
        await using var tracker = new TrackerServerFixture();
        using Socket socket = await ConnectAsync(tracker.EndPoint);
        string first = "GET /announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1, left: 0, extra: "&compact=1") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        string second = "GET /announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 2, extra: "&compact=1") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        string third = "GET /scrape HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(first + second + third), SocketFlags.None);
        string responses = await RawHttp.ReadUntilClosedAsync(socket);
        string[] parts = responses.Split("HTTP/1.1 200 OK");
        Assert.Equal(4, parts.Length);
        Assert.Contains("Connection: keep-alive", parts[1], StringComparison.Ordinal);
        Assert.Contains("8:completei1e", parts[1], StringComparison.Ordinal);
        // The second peer is told about the first.
        Assert.Contains("5:peers6:", parts[2], StringComparison.Ordinal);
        Assert.Contains("5:filesd20:", parts[3], StringComparison.Ordinal);
        Assert.Contains("Connection: close", parts[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_ClosesConnectionsAndTheListener()
    {
        var tracker = new TrackerServerFixture(new TrackerOptions { RequestTimeout = TimeSpan.FromMinutes(5) });
        IPEndPoint endpoint = tracker.EndPoint;
        using Socket partial = await ConnectAsync(endpoint);
        try
        {
            await partial.SendAsync("GET /announce?info_hash="u8.ToArray(), SocketFlags.None);
            await WaitUntilAsync(() => tracker.Server.ConnectionCount == 1);
        }
        finally
        {
            await tracker.DisposeAsync();
        }

        Assert.Equal(string.Empty, await ReadToEndAsync(partial));
        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using Socket refused = await ConnectAsync(endpoint);
        });
    }

    [Fact]
    public async Task ASecondTrackerOnAPortInUse_FailsWithTrackerPortInUse()
    {
        await using var tracker = new TrackerServerFixture();
        using var second = new TrackerServer(new TrackerOptions(), tracker.EndPoint);
        MurderException error = Assert.Throws<MurderException>(second.Start);
        Assert.Equal("TrackerPortInUse", error.ErrorId);
        Assert.Equal("TrackerPortInUse", Assert.Throws<MurderException>(() => TrackerServer.EnsurePortAvailable(tracker.EndPoint)).ErrorId);
    }

    [Fact]
    public async Task TorrentDirectory_RegistersAndWithdrawsTorrents()
    {
        using var directory = new TempDirectory();
        using var source = new TempDirectory();
        source.WriteFile("payload.txt", new string('x', 1000));
        TorrentCreationResultFor(source.Path, directory.Path, out string torrentPath, out InfoHash infoHash);
        System.IO.File.WriteAllText(directory.Combine("broken.torrent"), "not bencode");

        await using var tracker = new TrackerServerFixture(torrentDirectory: directory.Path);
        using var client = new HttpTrackerClient();
        TrackerAnnounceResponse response = await client.AnnounceAsync(Announce(tracker.AnnounceUrl, 1, infoHash: infoHash), CancellationToken.None);
        Assert.Equal(TimeSpan.FromSeconds(15), response.Interval);

        System.IO.File.Delete(torrentPath);
        await WaitUntilAsync(() => !tracker.Server.Registry.IsRegistered(infoHash));
        MurderException error = await Assert.ThrowsAsync<MurderException>(() => client.AnnounceAsync(Announce(tracker.AnnounceUrl, 1, infoHash: infoHash), CancellationToken.None));
        Assert.Equal("TrackerFailure", error.ErrorId);
    }

    private static void TorrentCreationResultFor(string source, string output, out string torrentPath, out InfoHash infoHash)
    {
        var request = new Murder.Core.Packaging.TorrentCreationRequest
        {
            Tag = "Registered1",
            SourcePath = source,
            Tracker = "127.0.0.1:8998",
            OutputDirectory = output,
        };
        Murder.Core.Packaging.TorrentCreationResult result = Murder.Core.Packaging.TorrentCreator.Create(Murder.Core.Packaging.TorrentCreator.Plan(request), null, CancellationToken.None);
        torrentPath = result.TorrentPath;
        infoHash = InfoHash.Parse(result.InfoHash);
    }
}
