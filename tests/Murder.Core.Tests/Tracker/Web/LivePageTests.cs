using System;
using System.Text;
using System.Text.Json;
using Murder.Core.Tracker;
using Xunit;

namespace Murder.Core.Tests.Tracker.Web;

public sealed class LivePageTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("live page secret");

    private static TrackerEngine NewEngine()
    {
        var registry = new SwarmRegistry(new TrackerOptions { SwarmSecret = Secret }, new ManualTime());
        registry.Register(TrackerTestData.Torrent, "web-1.tgz");
        return new TrackerEngine(registry);
    }

    private static (string Head, string Body) Get(LedgerTestClient client, string target, string host = "127.0.0.1:8998")
    {
        (_, string head, byte[] body) = client.Get(target, host);
        return (head, Encoding.UTF8.GetString(body));
    }

    private static void AnnounceWithKey(LedgerTestClient client, int peer, long left)
    {
        string key = SwarmKey.Derive(Secret, TrackerTestData.Torrent);
        Assert.Null(TrackerTestData.Failure(Encoding.Latin1.GetBytes(Get(client, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, peer, left, "&murder_key=" + key)).Body)));
    }

    [Fact]
    public void Page_IsSelfContainedAndListsTheTorrentsWithoutScript()
    {
        using var client = new LedgerTestClient(NewEngine());
        AnnounceWithKey(client, 1, 0);
        (string head, string html) = Get(client, "/");
        Assert.Contains("text/html; charset=utf-8", head, StringComparison.Ordinal);
        Assert.Contains("<title>Murder tracker</title>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"l\">web-1.tgz</td>", html, StringComparison.Ordinal);
        Assert.Contains("fetch(", html, StringComparison.Ordinal);
        // Datacenters have no internet: nothing is loaded from anywhere else.
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stylesheet", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("//cdn", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SwarmList_GivesCountsAndNothingToJoinTheSwarmWith()
    {
        using var client = new LedgerTestClient(NewEngine());
        AnnounceWithKey(client, 1, 0);
        AnnounceWithKey(client, 2, 100);
        (string head, string body) = Get(client, "/swarms");
        Assert.Contains("application/json", head, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(body);
        Assert.Equal(2, json.RootElement.GetProperty("peers").GetInt32());
        JsonElement swarm = json.RootElement.GetProperty("swarms")[0];
        Assert.Equal(TrackerTestData.Torrent.ToHex(), swarm.GetProperty("infoHash").GetString());
        Assert.Equal("web-1.tgz", swarm.GetProperty("name").GetString());
        Assert.Equal(1, swarm.GetProperty("seeders").GetInt32());
        Assert.Equal(1, swarm.GetProperty("leechers").GetInt32());

        string key = SwarmKey.Derive(Secret, TrackerTestData.Torrent);
        foreach (string target in new[] { "/", "/swarms", "/metrics" })
        {
            string text = Get(client, target).Body;
            Assert.DoesNotContain(key, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(TrackerTestData.PeerId(1), text, StringComparison.Ordinal);
            Assert.DoesNotContain("6001", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/swarms")]
    public void Page_IsRefusedUnderAForeignHostName(string target)
    {
        using var client = new LedgerTestClient(NewEngine());
        Assert.StartsWith("HTTP/1.1 403", Get(client, target, host: "rebind.attacker.example").Head, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", Get(client, target, host: "localhost:8998").Head, StringComparison.Ordinal);
        // The name in the URLs the tracker hands out when it listens on every address (TrackerProcess), fully qualified or not.
        Assert.StartsWith("HTTP/1.1 200", Get(client, target, host: System.Net.Dns.GetHostName() + ":8998").Head, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://tracker1:8998/announce", "http://tracker1:8998/")]
    [InlineData("http://10.1.2.3:8998/announce?murder_key=00ff", "http://10.1.2.3:8998/")]
    [InlineData("http://[::1]:8998/announce", "http://[::1]:8998/")]
    [InlineData("http://Tracker.Corp.Example/announce", "http://tracker.corp.example/")]
    [InlineData("not a url", "")]
    public void PageUrl_IsTheTrackersRoot(string announceUrl, string pageUrl) =>
        Assert.Equal(pageUrl, TrackerProcess.PageUrlFor(announceUrl));
}
