using System;
using System.Linq;
using System.Text;
using System.Text.Json;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Ledger;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>The deploy ledger through the sans-IO engine: /report and /deploy as peers and readers use them.</summary>
public sealed class LedgerEngineTests : IDisposable
{
    private readonly ManualTime _time = new();
    private readonly LedgerTestClient _client;

    public LedgerEngineTests()
    {
        _client = NewClient(new TrackerOptions());
    }

    public void Dispose() => _client.Dispose();

    private LedgerTestClient NewClient(TrackerOptions options)
    {
        var registry = new SwarmRegistry(options, _time);
        registry.Register(TrackerTestData.Torrent, "Deploy1.tgz", 1000);
        return new LedgerTestClient(new TrackerEngine(registry));
    }

    private static string[] Hosts(JsonElement page) => page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("host").GetString()!).ToArray();

    private static int Count(JsonElement page, string stage) => page.GetProperty("counts").GetProperty(stage).GetInt32();

    [Fact]
    public void Report_RecordsTheEntryAsTheContractSaysAndReadsItBack()
    {
        Assert.Null(_client.Report(TrackerTestData.Torrent, "web1", "downloading", downloaded: 300, left: 700, rate: 5000));
        JsonElement page = _client.Read(TrackerTestData.Torrent);
        Assert.Equal(TrackerTestData.Torrent.ToHex(), page.GetProperty("infoHash").GetString());
        Assert.Equal("Deploy1.tgz", page.GetProperty("name").GetString());
        Assert.Equal("Deploy1", page.GetProperty("tag").GetString());
        Assert.Equal(1000, page.GetProperty("size").GetInt64());
        Assert.Equal("2026-12-03T15:00:00.000Z", page.GetProperty("nowUtc").GetString());
        Assert.Equal(1, page.GetProperty("hosts").GetInt32());
        Assert.Equal(300, page.GetProperty("downloaded").GetInt64());
        Assert.Equal(5000, page.GetProperty("rate").GetInt64());
        Assert.Equal(1, page.GetProperty("version").GetInt64());
        Assert.Equal(
            ["starting", "verifying", "downloading", "extracting", "seeding", "done", "failed"],
            page.GetProperty("counts").EnumerateObject().Select(p => p.Name).ToArray());
        JsonElement entry = page.GetProperty("entries")[0];
        Assert.Equal("web1", entry.GetProperty("host").GetString());
        Assert.Equal("peer", entry.GetProperty("role").GetString());
        Assert.Equal("198.18.0.7", entry.GetProperty("address").GetString());
        Assert.Equal("downloading", entry.GetProperty("stage").GetString());
        Assert.Equal("2026-12-03T15:00:00.000Z", entry.GetProperty("firstUtc").GetString());
        Assert.Equal(300, entry.GetProperty("downloaded").GetInt64());
        Assert.Equal(700, entry.GetProperty("left").GetInt64());
        Assert.Equal(5000, entry.GetProperty("rate").GetInt64());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("errorId").ValueKind);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("message").ValueKind);
        Assert.Equal(1, entry.GetProperty("version").GetInt64());
        Assert.Equal(1, page.GetProperty("next").GetInt64());
        Assert.False(page.GetProperty("more").GetBoolean());
    }

    [Fact]
    public void Report_WithoutHostIsNamedByTheClientAddress()
    {
        Assert.Null(_client.Report(TrackerTestData.Torrent, host: null, "starting", from: "198.18.5.6"));
        Assert.Equal(["198.18.5.6"], Hosts(_client.Read(TrackerTestData.Torrent)));
    }

    [Fact]
    public void Stages_MoveTheCountsAndALaterReportOverridesEvenAFailure()
    {
        _client.Report(TrackerTestData.Torrent, "a", "starting");
        _client.Report(TrackerTestData.Torrent, "b", "starting");
        _client.Report(TrackerTestData.Torrent, "a", "downloading", downloaded: 50, left: 50, rate: 10);
        _client.Report(TrackerTestData.Torrent, "b", "failed", extra: "&error_id=DiskFull&message=" + Uri.EscapeDataString("No space left on /srv: free 2 GB"));
        JsonElement page = _client.Read(TrackerTestData.Torrent);
        Assert.Equal(0, Count(page, "starting"));
        Assert.Equal(1, Count(page, "downloading"));
        Assert.Equal(1, Count(page, "failed"));
        JsonElement failed = page.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("host").GetString() == "b");
        Assert.Equal("DiskFull", failed.GetProperty("errorId").GetString());
        Assert.Equal("No space left on /srv: free 2 GB", failed.GetProperty("message").GetString());

        // A re-run: the failed host starts again, and its error is gone.
        _time.Advance(TimeSpan.FromMinutes(1));
        _client.Report(TrackerTestData.Torrent, "b", "starting");
        _client.Report(TrackerTestData.Torrent, "a", "done", downloaded: 100, left: 0);
        page = _client.Read(TrackerTestData.Torrent);
        Assert.Equal(1, Count(page, "starting"));
        Assert.Equal(0, Count(page, "failed"));
        Assert.Equal(0, Count(page, "downloading"));
        Assert.Equal(1, Count(page, "done"));
        Assert.Equal(2, page.GetProperty("hosts").GetInt32());
        Assert.Equal(100, page.GetProperty("downloaded").GetInt64());
        Assert.Equal(0, page.GetProperty("rate").GetInt64());
        JsonElement again = page.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("host").GetString() == "b");
        Assert.Equal(JsonValueKind.Null, again.GetProperty("errorId").ValueKind);
        Assert.Equal("2026-12-03T15:00:00.000Z", again.GetProperty("firstUtc").GetString());
        Assert.Equal("2026-12-03T15:01:00.000Z", again.GetProperty("lastUtc").GetString());
        Assert.Equal("2026-12-03T15:01:00.000Z", page.GetProperty("lastUtc").GetString());
    }

    [Fact]
    public void Since_ReturnsOnlyNewerEntriesInVersionOrderWithNextAndMore()
    {
        for (int i = 0; i < 10; i++)
        {
            _client.Report(TrackerTestData.Torrent, "h" + i, "starting");
        }

        // h3 moves to the end of the version order.
        _client.Report(TrackerTestData.Torrent, "h3", "downloading");
        JsonElement first = _client.Read(TrackerTestData.Torrent, since: 0, limit: 4);
        Assert.Equal(["h0", "h1", "h2", "h4"], Hosts(first));
        Assert.True(first.GetProperty("more").GetBoolean());
        Assert.Equal(5, first.GetProperty("next").GetInt64());
        Assert.Equal(11, first.GetProperty("version").GetInt64());

        JsonElement second = _client.Read(TrackerTestData.Torrent, since: 5, limit: 4);
        Assert.Equal(["h5", "h6", "h7", "h8"], Hosts(second));
        JsonElement third = _client.Read(TrackerTestData.Torrent, since: second.GetProperty("next").GetInt64(), limit: 4);
        Assert.Equal(["h9", "h3"], Hosts(third));
        Assert.False(third.GetProperty("more").GetBoolean());
        Assert.Equal(11, third.GetProperty("next").GetInt64());

        JsonElement none = _client.Read(TrackerTestData.Torrent, since: 11);
        Assert.Empty(Hosts(none));
        Assert.Equal(11, none.GetProperty("next").GetInt64());

        _client.Report(TrackerTestData.Torrent, "h0", "done", left: 0);
        Assert.Equal(["h0"], Hosts(_client.Read(TrackerTestData.Torrent, since: 11)));

        // A since this ledger never gave (a reader of an earlier ledger of the torrent) gets everything.
        JsonElement reset = _client.Read(TrackerTestData.Torrent, since: 5000);
        Assert.Equal(10, Hosts(reset).Length);
        Assert.Equal(12, reset.GetProperty("next").GetInt64());
    }

    [Fact]
    public void StageFilter_SkipsOtherStagesAndNextCoversWhatWasScanned()
    {
        for (int i = 0; i < 6; i++)
        {
            _client.Report(TrackerTestData.Torrent, "h" + i, i % 2 == 0 ? "failed" : "done", left: 0);
        }

        JsonElement failed = _client.Read(TrackerTestData.Torrent, stage: "failed");
        Assert.Equal(["h0", "h2", "h4"], Hosts(failed));
        Assert.Equal(6, failed.GetProperty("next").GetInt64());
        JsonElement limited = _client.Read(TrackerTestData.Torrent, stage: "done", limit: 2);
        Assert.Equal(["h1", "h3"], Hosts(limited));
        Assert.True(limited.GetProperty("more").GetBoolean());
        Assert.Equal(4, limited.GetProperty("next").GetInt64());
        Assert.Equal(3, Count(limited, "done"));
    }

    [Fact]
    public void List_ShowsEveryDeployNewestFirstWithCounts()
    {
        using LedgerTestClient open = NewClient(new TrackerOptions { Open = true });
        open.Report(TrackerTestData.Torrent, "a", "seeding", left: 0);
        _time.Advance(TimeSpan.FromSeconds(3));
        open.Report(TrackerTestData.Other, "a", "downloading", downloaded: 10, left: 90);
        open.Report(TrackerTestData.Other, "b", "starting");
        JsonElement list = open.Read();
        JsonElement[] deploys = list.GetProperty("deploys").EnumerateArray().ToArray();
        Assert.Equal([TrackerTestData.Other.ToHex(), TrackerTestData.Torrent.ToHex()], deploys.Select(d => d.GetProperty("infoHash").GetString()!).ToArray());
        Assert.Equal(JsonValueKind.Null, deploys[0].GetProperty("name").ValueKind);
        Assert.Equal(JsonValueKind.Null, deploys[0].GetProperty("tag").ValueKind);
        Assert.Equal(100, deploys[0].GetProperty("size").GetInt64());
        Assert.Equal(2, deploys[0].GetProperty("hosts").GetInt32());
        Assert.Equal(1, Count(deploys[0], "downloading"));
        Assert.Equal("Deploy1", deploys[1].GetProperty("tag").GetString());
        Assert.Equal(1, Count(deploys[1], "seeding"));
    }

    [Fact]
    public void UnregisteredTorrent_IsRefusedUnlessTheTrackerIsOpen()
    {
        Assert.Equal(TrackerRefusal.Unregistered, _client.Report(TrackerTestData.Other, "a", "starting"));
        Assert.Equal(404, _client.Get($"/deploy?info_hash={TrackerTestData.Other.ToHex()}").Status);
        Assert.Equal(1, _client.Engine.Ledgers.Counters.RefusedUnregistered);

        using LedgerTestClient open = NewClient(new TrackerOptions { Open = true });
        Assert.Null(open.Report(TrackerTestData.Other, "a", "starting"));
    }

    [Fact]
    public void SwarmSecret_RequiresTheTorrentsKey()
    {
        byte[] secret = Encoding.UTF8.GetBytes("fleet secret");
        using LedgerTestClient keyed = NewClient(new TrackerOptions { SwarmSecret = secret });
        string key = SwarmKey.Derive(secret, TrackerTestData.Torrent);
        string otherKey = SwarmKey.Derive(secret, TrackerTestData.Other);
        Assert.StartsWith("this swarm needs a swarm key", keyed.Report(TrackerTestData.Torrent, "a", "starting"), StringComparison.Ordinal);
        Assert.StartsWith("this swarm needs a swarm key", keyed.Report(TrackerTestData.Torrent, "a", "starting", extra: "&murder_key=" + otherKey), StringComparison.Ordinal);
        Assert.StartsWith("this swarm needs a swarm key", keyed.Report(TrackerTestData.Torrent, "a", "starting", extra: "&murder_key=xyz"), StringComparison.Ordinal);
        Assert.Equal(0, keyed.Engine.Ledgers.EntryCount);
        Assert.Equal(3, keyed.Engine.Ledgers.Counters.RefusedSwarmKey);

        Assert.Null(keyed.Report(TrackerTestData.Torrent, "a", "starting", extra: "&murder_key=" + key));
        Assert.Equal(1, keyed.Engine.Ledgers.EntryCount);
        Assert.DoesNotContain(key, Encoding.UTF8.GetString(keyed.Get($"/deploy?info_hash={TrackerTestData.Torrent.ToHex()}").Body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("&stage=finished", "invalid stage")]
    [InlineData("&role=leader", "invalid role")]
    [InlineData("&error_id=Disk-Full", "invalid error_id")]
    [InlineData("&error_id=", "invalid error_id")]
    [InlineData("&downloaded=-1", "invalid downloaded")]
    [InlineData("&left=1e3", "invalid left")]
    [InlineData("&rate=99999999999999999999", "invalid rate")]
    [InlineData("&host=", "invalid host")]
    [InlineData("&host=a%0Ab", "invalid host")]
    [InlineData("&host=%FF%FE", "invalid host")]
    [InlineData("&message=%C3", "invalid message")]
    [InlineData("&info_hash=%00", "more than one info_hash")]
    [InlineData("&peer_id=short", "peer_id is not 20 bytes")]
    public void BadValues_AreRefused(string extra, string failure)
    {
        string query = LedgerTestClient.ReportQuery(TrackerTestData.Torrent, "web1", "failed", extra: extra);
        (int status, _, byte[] body) = _client.Get("/report?" + query);
        Assert.Equal(200, status);
        Assert.StartsWith(failure, TrackerTestData.Failure(body), StringComparison.Ordinal);
        Assert.Equal(0, _client.Engine.Ledgers.EntryCount);
    }

    [Fact]
    public void Limits_OfHostAndErrorIdAndMessageAreExact()
    {
        string errorId64 = new('E', 64);
        Assert.Null(_client.Report(TrackerTestData.Torrent, new string('h', 255), "failed", extra: $"&error_id={errorId64}&message={new string('m', 1024)}"));
        Assert.StartsWith("invalid host", _client.Report(TrackerTestData.Torrent, new string('h', 256), "starting"), StringComparison.Ordinal);
        Assert.StartsWith("invalid error_id", _client.Report(TrackerTestData.Torrent, "a", "failed", extra: $"&error_id={errorId64}E"), StringComparison.Ordinal);
        Assert.StartsWith("invalid message", _client.Report(TrackerTestData.Torrent, "a", "failed", extra: $"&message={new string('m', 1025)}"), StringComparison.Ordinal);

        // Multi-byte UTF-8 is counted in bytes: 128 two-byte characters are 256 bytes.
        Assert.StartsWith("invalid host", _client.Report(TrackerTestData.Torrent, new string('é', 128), "starting"), StringComparison.Ordinal);
        Assert.Null(_client.Report(TrackerTestData.Torrent, "wébserveur-ü", "starting"));
        Assert.Contains(Hosts(_client.Read(TrackerTestData.Torrent)), h => h == "wébserveur-ü");
    }

    [Fact]
    public void MissingFields_AreRefused()
    {
        Assert.Equal("missing info_hash", TrackerTestData.Failure(_client.Get("/report?stage=starting").Body));
        Assert.Equal("missing stage", TrackerTestData.Failure(_client.Get("/report?info_hash=" + TrackerTestData.Escape(TrackerTestData.Torrent.Bytes)).Body));
    }

    [Theory]
    [InlineData("info_hash=00112233", 400)]
    [InlineData("info_hash=00112233445566778899aabbccddeeff0a1b2c3d&limit=0", 400)]
    [InlineData("info_hash=00112233445566778899aabbccddeeff0a1b2c3d&limit=10001", 400)]
    [InlineData("info_hash=00112233445566778899aabbccddeeff0a1b2c3d&since=-1", 400)]
    [InlineData("info_hash=00112233445566778899aabbccddeeff0a1b2c3d&stage=gone", 400)]
    [InlineData("info_hash=ffeeddccbbaa99887766554433221100f0e0d0c0", 404)]
    [InlineData("info_hash=00112233445566778899AABBCCDDEEFF0A1B2C3D&limit=10000", 200)]
    [InlineData("info_hash=%00%11%22%33%44%55%66%77%88%99%aa%bb%cc%dd%ee%ff%0a%1b%2c%3d", 200)]
    public void Read_RefusesBadQueriesAndUnknownTorrents(string query, int status)
    {
        _client.Report(TrackerTestData.Torrent, "a", "starting");
        (int actual, _, byte[] body) = _client.Get("/deploy?" + query);
        Assert.Equal(status, actual);
        if (status != 200)
        {
            Assert.NotNull(TrackerTestData.Failure(body));
        }
    }

    [Fact]
    public void Read_IsRefusedUnderForeignHostNames()
    {
        _client.Report(TrackerTestData.Torrent, "a", "starting");
        (int status, _, byte[] body) = _client.Get($"/deploy?info_hash={TrackerTestData.Torrent.ToHex()}", host: "attacker.example");
        Assert.Equal(403, status);
        Assert.DoesNotContain("\"a\"", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.Equal(403, _client.Get("/deploy", host: "rebound.example:8998").Status);
        Assert.Equal(200, _client.Get("/deploy", host: "localhost").Status);
        Assert.Equal(200, _client.Get("/deploy", host: "[::1]:8998").Status);
        Assert.Equal(200, _client.Get("/deploy", host: Environment.MachineName).Status);
    }

    [Fact]
    public void Entries_OutlivePeerExpiry()
    {
        _client.Report(TrackerTestData.Torrent, "a", "done", left: 0);
        _client.Get("/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1));
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, _client.Engine.Registry.ExpirePeers());
        JsonElement page = _client.Read(TrackerTestData.Torrent);
        Assert.Equal(["a"], Hosts(page));
        Assert.Equal("2026-12-03T17:00:00.000Z", page.GetProperty("nowUtc").GetString());
        Assert.Equal("2026-12-03T15:00:00.000Z", page.GetProperty("entries")[0].GetProperty("lastUtc").GetString());
    }

    [Fact]
    public void Json_EscapesWhatHostsSend()
    {
        _client.Report(TrackerTestData.Torrent, "<script>\"x\"", "failed", extra: "&error_id=Boom&message=" + Uri.EscapeDataString("line 1\nline \"2\" </script>"));
        string body = Encoding.UTF8.GetString(_client.Get($"/deploy?info_hash={TrackerTestData.Torrent.ToHex()}").Body);
        Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
        JsonElement entry = _client.Read(TrackerTestData.Torrent).GetProperty("entries")[0];
        Assert.Equal("<script>\"x\"", entry.GetProperty("host").GetString());
        Assert.Equal("line 1\nline \"2\" </script>", entry.GetProperty("message").GetString());
    }

    [Fact]
    public void Messages_KeepLineBreaksAndLoseOtherControlCharacters()
    {
        Assert.Null(_client.Report(TrackerTestData.Torrent, "a", "failed", extra: "&error_id=Boom&message=%1B%5B31mred%1B%5B0m%00%0Anext%09line"));
        Assert.Equal(" [31mred [0m \nnext\tline", _client.Read(TrackerTestData.Torrent).GetProperty("entries")[0].GetProperty("message").GetString());
    }

    [Fact]
    public void Roles_AreRecorded()
    {
        _client.Report(TrackerTestData.Torrent, "seed1", "seeding", left: 0, extra: "&role=seeder");
        Assert.Equal("seeder", _client.Read(TrackerTestData.Torrent).GetProperty("entries")[0].GetProperty("role").GetString());
    }

    [Theory]
    [InlineData("/report?info_hash=x", true)]
    [InlineData("/deploy?info_hash=00112233445566778899aabbccddeeff0a1b2c3d", true)]
    [InlineData("/deploy?info_hash=00112233445566778899aabbccddeeff0a1b2c3d&limit=1000", true)]
    [InlineData("/deploy?info_hash=00112233445566778899aabbccddeeff0a1b2c3d&limit=5000", false)]
    [InlineData("/deploy", false)]
    [InlineData("/deploy?since=3", false)]
    public void IsBounded_ForReportsAndNamedLedgerReads(string target, bool bounded)
    {
        byte[] request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(Murder.Core.Tracker.Http.HttpParseStatus.Complete, Murder.Core.Tracker.Http.HttpRequestParser.TryParse(request, 8192, out Murder.Core.Tracker.Http.HttpRequestHead head));
        Assert.Equal(bounded, TrackerEngine.IsBounded(request, head));
    }

    [Fact]
    public void Accessors_GiveThePageItsSummariesAndEntries()
    {
        _client.Report(TrackerTestData.Torrent, "a", "downloading", downloaded: 5, left: 995, rate: 7);
        _client.Report(TrackerTestData.Torrent, "b", "failed", extra: "&error_id=X1&message=m");
        DeploySummary summary = Assert.Single(_client.Engine.Ledgers.Summaries());
        Assert.Equal(TrackerTestData.Torrent.ToHex(), summary.InfoHashHex);
        Assert.Equal(1, summary.CountOf(LedgerStage.Failed));
        Assert.Equal(2, summary.Hosts);
        DeployPage page = _client.Engine.Ledgers.Read(Hash20Of(TrackerTestData.Torrent), since: 1, limit: 10, stage: null)!;
        LedgerEntrySnapshot entry = Assert.Single(page.Entries);
        Assert.Equal(("b", "X1", "m", LedgerStage.Failed), (entry.Host, entry.ErrorId, entry.Message, entry.Stage));
        Assert.Null(_client.Engine.Ledgers.Read(Hash20Of(TrackerTestData.Other), 0, 10, null));
        Assert.Equal(2, _client.Engine.Ledgers.Counters.Accepted);
    }

    internal static Hash20 Hash20Of(InfoHash infoHash) => Hash20.Read(infoHash.Bytes);
}
