using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Client;
using Xunit;

namespace Murder.Core.Tests.Tracker;

public sealed class HttpTrackerClientTests
{
    private static byte[] Peer(string address, int port)
    {
        byte[] ip = IPAddress.Parse(address).GetAddressBytes();
        return ip.Concat(new[] { (byte)(port >> 8), (byte)port }).ToArray();
    }

    private static byte[] Bencoded(string prefix, byte[] binary, string suffix) =>
        Encoding.ASCII.GetBytes(prefix).Concat(binary).Concat(Encoding.ASCII.GetBytes(suffix)).ToArray();

    [Fact]
    public void AnnounceUrl_PercentEncodesBinaryValuesAndKeepsTheQuery()
    {
        byte[] peerId = Encoding.ASCII.GetBytes("-MU0001-ab~.cd_ef 12");
        Uri url = TrackerUrl.Announce(new TrackerAnnounceRequest
        {
            AnnounceUrl = new Uri("http://tracker.example:8998/announce?passkey=x"),
            InfoHash = InfoHash.Parse("00ff10207e2d2e5f41617a5a30392021402f3f25"),
            PeerId = peerId,
            Port = 6881,
            Uploaded = 1,
            Downloaded = 2,
            Left = 3,
            Event = TrackerEvent.Started,
            NumWant = 80,
        });
        Assert.Equal(
            "http://tracker.example:8998/announce?passkey=x&info_hash=%00%FF%10%20~-._AazZ09%20%21%40%2F%3F%25&peer_id=-MU0001-ab~.cd_ef%2012&port=6881&uploaded=1&downloaded=2&left=3&compact=1&event=started&numwant=80",
            url.AbsoluteUri);
    }

    [Theory]
    [InlineData("http://t.example/announce", "http://t.example/scrape")]
    [InlineData("http://t.example:6969/x/announce.php?k=1", "http://t.example:6969/x/scrape.php?k=1")]
    public void ScrapeUrl_FollowsTheConvention(string announce, string scrape) =>
        Assert.Equal(scrape, TrackerUrl.Scrape(new Uri(announce), Array.Empty<InfoHash>()).AbsoluteUri);

    [Theory]
    [InlineData("http://t.example/a")]
    [InlineData("http://t.example/announce/x")]
    public void ScrapeUrl_IsRefusedWithoutAnnounce(string announce) =>
        Assert.Equal("TrackerScrapeUnsupported", Assert.Throws<MurderException>(() => TrackerUrl.Scrape(new Uri(announce), Array.Empty<InfoHash>())).ErrorId);

    [Fact]
    public void Announce_RefusesOtherSchemes() =>
        Assert.Equal("TrackerSchemeUnsupported", Assert.Throws<MurderException>(() => TrackerUrl.Scrape(new Uri("udp://t.example:6969/announce"), Array.Empty<InfoHash>())).ErrorId);

    [Fact]
    public void ParseAnnounce_ReadsCompactAndPeers6()
    {
        byte[] v4 = Peer("10.0.0.1", 6881).Concat(Peer("10.0.0.2", 80)).ToArray();
        byte[] v6 = Peer("2001:db8::7", 51413);
        byte[] body = Bencoded("d8:completei3e10:incompletei4e8:intervali15e12:min intervali5e5:peers12:", v4, "6:peers618:")
            .Concat(v6).Concat("e"u8.ToArray()).ToArray();
        TrackerAnnounceResponse response = TrackerResponseParser.ParseAnnounce(body, "t");
        Assert.Equal(TimeSpan.FromSeconds(15), response.Interval);
        Assert.Equal(TimeSpan.FromSeconds(5), response.MinInterval);
        Assert.Equal(3, response.Seeders);
        Assert.Equal(4, response.Leechers);
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881), new IPEndPoint(IPAddress.Parse("10.0.0.2"), 80), new IPEndPoint(IPAddress.Parse("2001:db8::7"), 51413) }, response.Peers);
    }

    [Fact]
    public void ParseAnnounce_ReadsDictionaryPeers()
    {
        byte[] body = Encoding.ASCII.GetBytes("d8:intervali30e5:peersld2:ip8:10.0.0.97:peer id20:ABCDEFGHIJKLMNOPQRST4:porti6881eed2:ip3:::14:porti1eeee");
        TrackerAnnounceResponse response = TrackerResponseParser.ParseAnnounce(body, "t");
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Parse("10.0.0.9"), 6881), new IPEndPoint(IPAddress.IPv6Loopback, 1) }, response.Peers);
    }

    [Theory]
    [InlineData("d14:failure reason7:go awaye", "TrackerFailure")]
    [InlineData("d5:peers0:e", "TrackerResponseInvalid")]
    [InlineData("d8:intervali-1e5:peers0:e", "TrackerResponseInvalid")]
    [InlineData("d8:intervali15e5:peers5:abcdee", "TrackerResponseInvalid")]
    [InlineData("d8:intervali15e6:peers67:abcdefge", "TrackerResponseInvalid")]
    [InlineData("d8:intervali15e5:peersld2:ip4:nope4:porti1eeee", "TrackerResponseInvalid")]
    [InlineData("d8:intervali15e5:peersld2:ip3:::14:porti70000eeee", "TrackerResponseInvalid")]
    [InlineData("d8:intervali15e5:peersi1ee", "TrackerResponseInvalid")]
    [InlineData("<html>", "TrackerResponseInvalid")]
    [InlineData("", "TrackerResponseInvalid")]
    [InlineData("le", "TrackerResponseInvalid")]
    public void ParseAnnounce_RejectsFailuresAndMalformedResponses(string body, string errorId) =>
        Assert.Equal(errorId, Assert.Throws<MurderException>(() => TrackerResponseParser.ParseAnnounce(Encoding.ASCII.GetBytes(body), "t")).ErrorId);

    [Fact]
    public void ParseScrape_ReadsFiles()
    {
        byte[] body = Bencoded("d5:filesd20:", TrackerTestData.Torrent.Bytes.ToArray(), "d8:completei1e10:downloadedi2e10:incompletei3e4:name3:abceee");
        TrackerTorrentStatus status = Assert.Single(TrackerResponseParser.ParseScrape(body, "t"));
        Assert.Equal((1, 3, 2, "abc"), (status.Seeders, status.Leechers, status.Completed, status.Name));
        Assert.Equal("TrackerResponseInvalid", Assert.Throws<MurderException>(() => TrackerResponseParser.ParseScrape("d5:filesd3:abcdeee"u8.ToArray(), "t")).ErrorId);
    }

    [Fact]
    public async Task Announce_IsCancelled()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new HttpTrackerClient(TimeSpan.FromSeconds(60));
        using var cancel = new CancellationTokenSource();
        Task<TrackerAnnounceResponse> announce = client.AnnounceAsync(Request(new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/announce"), 1), cancel.Token);
        using Socket accepted = await listener.AcceptSocketAsync();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => announce);
    }

    [Fact]
    public async Task Announce_TimesOutOnATrackerThatNeverAnswers()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new HttpTrackerClient(TimeSpan.FromMilliseconds(500));
        Task<TrackerAnnounceResponse> announce = client.AnnounceAsync(Request(new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/announce"), 1), CancellationToken.None);
        using Socket accepted = await listener.AcceptSocketAsync();
        Assert.Equal("TrackerUnreachable", (await Assert.ThrowsAsync<MurderException>(() => announce)).ErrorId);
    }

    [SkippableFact]
    public async Task Client_WorksAgainstOpentracker()
    {
        string? opentracker = new[] { "/usr/bin/opentracker", "/usr/local/bin/opentracker" }.FirstOrDefault(File.Exists);
        Skip.If(opentracker is null, "opentracker is missing: install the Debian package opentracker (tools/Install-TestPrerequisites.ps1 does so as root).");

        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("whitelist"), TrackerTestData.Torrent.ToHex() + "\n");
        // The port is probed free and then handed to opentracker, so another test may take it in between:
        // opentracker then exits at once, and the test starts it again on another port.
        Process? process = null;
        Uri url = null!;
        TrackerAnnounceResponse? first = null;
        using var client = new HttpTrackerClient(TimeSpan.FromSeconds(5));
        try
        {
            for (int attempt = 1; first is null; attempt++)
            {
                process?.Dispose();
                (process, url) = StartOpentracker(opentracker!, directory.Path);
                first = await FirstAnnounceAsync(client, url, process);
                if (first is null && attempt == 3)
                {
                    Assert.Fail($"opentracker exited three times: {process.StandardError.ReadToEnd()}");
                }
            }

            Assert.True(first.Interval > TimeSpan.Zero);
            TrackerAnnounceResponse second = await client.AnnounceAsync(Request(url, 2), CancellationToken.None);
            Assert.Contains(new IPEndPoint(IPAddress.Loopback, 7001), second.Peers);
            TrackerTorrentStatus status = Assert.Single(await client.ScrapeAsync(url, new[] { TrackerTestData.Torrent }, CancellationToken.None));
            Assert.Equal(2, status.Seeders + status.Leechers);
            Assert.Equal("TrackerFailure", (await Assert.ThrowsAsync<MurderException>(() => client.AnnounceAsync(Request(url, 3) with { InfoHash = TrackerTestData.Other }, CancellationToken.None))).ErrorId);
        }
        finally
        {
            if (process is not null)
            {
                process.Kill();
                process.WaitForExit(5000);
                process.Dispose();
            }
        }
    }

    private static (Process Process, Uri Url) StartOpentracker(string opentracker, string directory)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo(opentracker) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-P", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", directory, "-w", "whitelist" })
        {
            start.ArgumentList.Add(argument);
        }

        return (Process.Start(start)!, new Uri($"http://127.0.0.1:{port}/announce"));
    }

    /// <summary>The first announce, or null when opentracker exited before answering (its port was taken).</summary>
    private static async Task<TrackerAnnounceResponse?> FirstAnnounceAsync(HttpTrackerClient client, Uri url, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await client.AnnounceAsync(Request(url, 1), CancellationToken.None);
            }
            // opentracker listens before its whitelist thread has loaded the list: until then it
            // refuses every torrent as "not authorized".
            catch (MurderException error) when ((error.ErrorId == "TrackerUnreachable" || error.Message.Contains("not authorized", StringComparison.Ordinal))
                && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (process.HasExited)
                {
                    return null;
                }

                await Task.Delay(100);
            }
        }
    }

    private static TrackerAnnounceRequest Request(Uri url, int peer) => new()
    {
        AnnounceUrl = url,
        InfoHash = TrackerTestData.Torrent,
        PeerId = Encoding.ASCII.GetBytes(TrackerTestData.PeerId(peer)),
        Port = 7000 + peer,
        Left = 100,
        Event = TrackerEvent.Started,
    };
}
