using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Murder.Core.Tracker;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>The deploy ledger over real sockets: reports and reads through the tracker's HTTP edge, and a restart.</summary>
public sealed class LedgerServerTests : IDisposable
{
    // A bound for waiting on the server; never an assertion about speed.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "murder-ledger-server-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = Patience };

    public void Dispose()
    {
        _http.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Uri ReportUrl(TrackerServerFixture tracker, string host, string stage, long downloaded = 0, long left = 100) =>
        new($"http://127.0.0.1:{tracker.EndPoint.Port}/report?" + LedgerTestClient.ReportQuery(TrackerTestData.Torrent, host, stage, downloaded, left));

    private async Task<JsonElement> ReadAsync(TrackerServerFixture tracker, string query)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri($"http://127.0.0.1:{tracker.EndPoint.Port}/deploy?{query}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task ReportsAndReads_WorkOverHttpWithAndWithoutKeepAlive()
    {
        await using var tracker = new TrackerServerFixture();
        for (int i = 0; i < 50; i++)
        {
            string body = await _http.GetStringAsync(ReportUrl(tracker, "host" + i, i % 5 == 0 ? "done" : "downloading", downloaded: i, left: 100 - i));
            Assert.Equal("d8:intervali5ee", body);
        }

        // One report per connection, as an agent that closes sends it (the accepting thread's fast path).
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(tracker.EndPoint);
            string target = ReportUrl(tracker, "host50", "failed").PathAndQuery + "&error_id=DiskFull";
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), SocketFlags.None);
            Assert.EndsWith("d8:intervali5ee", await RawHttp.ReadUntilClosedAsync(socket), StringComparison.Ordinal);
        }

        JsonElement page = await ReadAsync(tracker, $"info_hash={TrackerTestData.Torrent.ToHex()}&limit=20");
        Assert.Equal(51, page.GetProperty("hosts").GetInt32());
        Assert.Equal(10, page.GetProperty("counts").GetProperty("done").GetInt32());
        Assert.Equal(1, page.GetProperty("counts").GetProperty("failed").GetInt32());
        Assert.True(page.GetProperty("more").GetBoolean());
        Assert.Equal(20, page.GetProperty("entries").GetArrayLength());
        Assert.Equal("127.0.0.1", page.GetProperty("entries")[0].GetProperty("address").GetString());

        JsonElement rest = await ReadAsync(tracker, $"info_hash={TrackerTestData.Torrent.ToHex()}&since={page.GetProperty("next").GetInt64()}&limit=5000");
        Assert.Equal(31, rest.GetProperty("entries").GetArrayLength());
        Assert.Equal("DiskFull", rest.GetProperty("entries")[30].GetProperty("errorId").GetString());

        JsonElement list = await ReadAsync(tracker, string.Empty);
        Assert.Equal("Deploy1", list.GetProperty("deploys").EnumerateArray().Single().GetProperty("tag").GetString());
    }

    [Fact]
    public async Task Ledger_SurvivesARestartOfTheTracker()
    {
        long version;
        await using (var tracker = new TrackerServerFixture(new TrackerOptions { LedgerSaveInterval = TimeSpan.FromMilliseconds(200) }, ledgerDirectory: _directory))
        {
            await _http.GetStringAsync(ReportUrl(tracker, "web1", "done", downloaded: 100, left: 0));
            await _http.GetStringAsync(ReportUrl(tracker, "web2", "downloading", downloaded: 10, left: 90));
            version = (await ReadAsync(tracker, $"info_hash={TrackerTestData.Torrent.ToHex()}")).GetProperty("version").GetInt64();

            // Written behind while serving, not only at the end.
            string file = Path.Combine(_directory, TrackerTestData.Torrent.ToHex() + ".ledger");
            DateTime deadline = DateTime.UtcNow + Patience;
            while (!File.Exists(file) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.True(File.Exists(file), "the ledger was not written while the tracker served");
        }

        await using (var restarted = new TrackerServerFixture(ledgerDirectory: _directory))
        {
            JsonElement page = await ReadAsync(restarted, $"info_hash={TrackerTestData.Torrent.ToHex()}");
            Assert.Equal(["web1", "web2"], page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("host").GetString()!).ToArray());
            Assert.Equal("done", page.GetProperty("entries")[0].GetProperty("stage").GetString());
            Assert.True(page.GetProperty("version").GetInt64() > version);
            await _http.GetStringAsync(ReportUrl(restarted, "web2", "done", downloaded: 100, left: 0));
            JsonElement newer = await ReadAsync(restarted, $"info_hash={TrackerTestData.Torrent.ToHex()}&since={version}");
            Assert.Equal(["web2"], newer.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("host").GetString()!).ToArray());
        }
    }
}
