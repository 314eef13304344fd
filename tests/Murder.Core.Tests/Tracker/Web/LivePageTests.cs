using System;
using System.Text;
using System.Text.Json;
using Murder.Core.Tracker;
using Xunit;

namespace Murder.Core.Tests.Tracker.Web;

public sealed class LivePageTests : IDisposable
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("live page secret");
    private readonly ResponseBuilder _output = new();

    public void Dispose() => _output.Dispose();

    private static TrackerEngine NewEngine()
    {
        var registry = new SwarmRegistry(new TrackerOptions { SwarmSecret = Secret }, new ManualTime());
        registry.Register(TrackerTestData.Torrent, "web-1.tgz");
        return new TrackerEngine(registry);
    }

    private (string Head, string Body) Get(TrackerEngine engine, string target, string host = "127.0.0.1:8998") => engine.Get(_output, target, host);

    private void AnnounceWithKey(TrackerEngine engine, int peer, long left)
    {
        string key = SwarmKey.Derive(Secret, TrackerTestData.Torrent);
        Assert.Null(TrackerTestData.Failure(Encoding.Latin1.GetBytes(Get(engine, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, peer, left, "&murder_key=" + key)).Body)));
    }

    [Fact]
    public void Page_IsSelfContainedAndListsTheTorrentsWithoutScript()
    {
        TrackerEngine engine = NewEngine();
        AnnounceWithKey(engine, 1, 0);
        (string head, string html) = Get(engine, "/");
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
        TrackerEngine engine = NewEngine();
        AnnounceWithKey(engine, 1, 0);
        AnnounceWithKey(engine, 2, 100);
        (string head, string body) = Get(engine, "/swarms");
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
            string text = Get(engine, target).Body;
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
        TrackerEngine engine = NewEngine();
        Assert.StartsWith("HTTP/1.1 403", Get(engine, target, host: "rebind.attacker.example").Head, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", Get(engine, target, host: "localhost:8998").Head, StringComparison.Ordinal);
    }
}
