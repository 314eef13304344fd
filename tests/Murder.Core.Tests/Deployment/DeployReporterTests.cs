using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Deployment;
using Murder.Core.MetaInfo;
using Xunit;

namespace Murder.Core.Tests.Deployment;

public sealed class DeployReporterTests
{
    private static readonly InfoHash Hash = new(Convert.FromHexString("00112233445566778899aabbccddeeff00fe7f20"));
    private static readonly byte[] PeerId = Encoding.ASCII.GetBytes("-MR0001-abcdefghijkl");

    [Fact]
    public void The_report_url_replaces_announce_keeps_the_key_and_encodes_every_value()
    {
        var announce = new Uri("http://tracker01:8998/announce?murder_key=0a1b2c");
        Uri url = DeployReporter.ReportUrl(announce, Hash, PeerId, "wéb 1&x", "peer", new DeployReport { Stage = DeployStage.Downloading, Downloaded = 10, Left = 90, Rate = 5 });
        string text = url.AbsoluteUri;
        Assert.StartsWith("http://tracker01:8998/report?murder_key=0a1b2c&info_hash=%00%11%223DUfw%88%99%AA%BB%CC%DD%EE%FF%00%FE%7F%20&peer_id=-MR0001-abcdefghijkl", text, StringComparison.Ordinal);
        Assert.Contains("&host=w%C3%A9b%201%26x&role=peer&stage=downloading&downloaded=10&left=90&rate=5", text, StringComparison.Ordinal);
        Assert.DoesNotContain("error_id", text, StringComparison.Ordinal);

        Uri prefixed = DeployReporter.ReportUrl(new Uri("http://t:1/murder/announce"), Hash, PeerId, null, "seeder", new DeployReport { Stage = DeployStage.Seeding });
        Assert.StartsWith("http://t:1/murder/report?info_hash=", prefixed.AbsoluteUri, StringComparison.Ordinal);
        Assert.DoesNotContain("host=", prefixed.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains("role=seeder&stage=seeding", prefixed.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_carries_a_clean_error_id_and_a_bounded_message()
    {
        var report = new DeployReport { Stage = DeployStage.Failed, ErrorId = "Download-Stalled!", Message = new string('é', 2000) };
        string text = DeployReporter.ReportUrl(new Uri("http://t:1/announce"), Hash, PeerId, new string('h', 300), "peer", report).AbsoluteUri;
        Assert.Contains("&error_id=DownloadStalled&message=", text, StringComparison.Ordinal);
        string message = text[(text.IndexOf("&message=", StringComparison.Ordinal) + 9)..];
        Assert.Equal(1024, Uri.UnescapeDataString(message).Length * 2);
        string host = text[(text.IndexOf("&host=", StringComparison.Ordinal) + 6)..text.IndexOf("&role=", StringComparison.Ordinal)];
        Assert.Equal(255, host.Length);
        Assert.Equal("Failed", DeployReporter.CleanErrorId("!!"));
        Assert.Equal(64, DeployReporter.CleanErrorId(new string('A', 100)).Length);
    }

    [Theory]
    [InlineData("http://t:1/scrape")]
    [InlineData("http://t:1/")]
    [InlineData("udp://t:1/announce")]
    public void A_tracker_url_without_announce_has_no_ledger(string url)
    {
        Assert.Equal("TrackerReportUnsupported", Assert.Throws<MurderException>(() => DeployReporter.Endpoint(new Uri(url), "report")).ErrorId);
    }

    [Fact]
    public void The_answer_sets_the_interval_and_a_refusal_says_why()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), DeployReporter.ParseAnswer(Encoding.ASCII.GetBytes("d8:intervali5ee"), "t"));
        Assert.Equal(DeployReporter.DefaultInterval, DeployReporter.ParseAnswer(Encoding.ASCII.GetBytes("de"), "t"));
        MurderException refused = Assert.Throws<MurderException>(() => DeployReporter.ParseAnswer(Encoding.ASCII.GetBytes("d14:failure reason20:unregistered torrente"), "t"));
        Assert.Equal("ReportRefused", refused.ErrorId);
        Assert.Contains("unregistered torrent", refused.Message, StringComparison.Ordinal);
        Assert.Equal("TrackerResponseInvalid", Assert.Throws<MurderException>(() => DeployReporter.ParseAnswer(Encoding.ASCII.GetBytes("<html>"), "t")).ErrorId);
    }

    [Fact]
    public async Task Reports_go_over_http_and_a_failed_one_is_logged_never_thrown()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var requests = new List<string>();
        Task server = Task.Run(async () =>
        {
            foreach (string answer in new[] { "d8:intervali7ee", "d14:failure reason5:wronge" })
            {
                using TcpClient client = await listener.AcceptTcpClientAsync();
                using NetworkStream stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                requests.Add(await reader.ReadLineAsync() ?? string.Empty);
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync()))
                {
                }

                byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {answer.Length}\r\nConnection: close\r\n\r\n{answer}");
                await stream.WriteAsync(response);
            }
        });

        var log = new List<string>();
        using var reporter = new DeployReporter(new Uri($"http://127.0.0.1:{port}/announce"), Hash, "web1", log: log.Add);
        Assert.True(await reporter.ReportAsync(new DeployReport { Stage = DeployStage.Starting }, CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(7), reporter.Interval);
        Assert.False(await reporter.ReportAsync(new DeployReport { Stage = DeployStage.Done }, CancellationToken.None));
        await server;
        Assert.StartsWith("GET /report?info_hash=", requests[0], StringComparison.Ordinal);
        Assert.Contains("host=web1&role=peer&stage=starting", requests[0], StringComparison.Ordinal);
        Assert.Contains("stage=done", requests[1], StringComparison.Ordinal);
        Assert.Contains(log, line => line.Contains("wrong", StringComparison.Ordinal));

        listener.Stop();
        Assert.False(await reporter.ReportAsync(new DeployReport { Stage = DeployStage.Done }, CancellationToken.None));
        Assert.Equal(2, log.Count);
    }

    [Fact]
    public void A_runs_progress_maps_to_the_ledgers_stages()
    {
        var progress = new PeerRunProgress();
        Assert.Equal(new DeployReport { Stage = DeployStage.Starting, Left = 100 }, progress.ToReport(100, lingering: true));
    }
}
