using System;
using System.Linq;
using System.Net;
using System.Text;
using Murder.Core;
using Murder.Core.BEncoding;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Http;
using Xunit;

namespace Murder.Core.Tests.Tracker;

public sealed class TrackerEngineTests : IDisposable
{
    private readonly ResponseBuilder _output = new();

    public void Dispose() => _output.Dispose();

    private static TrackerEngine NewEngine(TrackerOptions? options = null)
    {
        var registry = new SwarmRegistry(options ?? new TrackerOptions(), new ManualTime());
        registry.Register(TrackerTestData.Torrent, "<script>alert(1)</script>.tgz");
        return new TrackerEngine(registry);
    }

    private (string Head, byte[] Body) Request(TrackerEngine engine, string target, string host = "127.0.0.1:8998", string from = "127.0.0.1", string method = "GET")
    {
        byte[] request = Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(request, 8192, out HttpRequestHead head));
        IPAddress address = IPAddress.Parse(from);
        engine.Handle(request, head, new TrackerClientInfo(PeerAddress.From(address), IPAddress.IsLoopback(address)), _output, out ArraySegment<byte> response);
        string text = Encoding.Latin1.GetString(response);
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (text[..split], Encoding.Latin1.GetBytes(text[(split + 4)..]));
    }

    [Theory]
    [InlineData("/announce?info_hash=x", true)]
    [InlineData("/announce", true)]
    [InlineData("/scrape?info_hash=x", true)]
    [InlineData("/scrape?a=1&info_hash=x", true)]
    [InlineData("/scrape", false)]
    [InlineData("/scrape?xinfo_hash=x", false)]
    [InlineData("/scrape?a=info_hash=x", false)]
    [InlineData("/", false)]
    [InlineData("/index.html", false)]
    public void IsBounded_OnlyForAnnouncesAndScrapesOfNamedTorrents(string target, bool bounded)
    {
        byte[] request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(request, 8192, out HttpRequestHead head));
        Assert.Equal(bounded, TrackerEngine.IsBounded(request, head));
    }

    private static string? PeerAddressIn(byte[] body)
    {
        byte[] peers = ((BString)TrackerTestData.Decode(body)["peers"]!).Bytes.ToArray();
        return peers.Length == 0 ? null : new IPAddress(peers.AsSpan(0, 4)).ToString();
    }

    [Fact]
    public void Announce_AnswersWithContentLengthAndKeepAlive()
    {
        (string head, byte[] body) = Request(NewEngine(), "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1));
        Assert.StartsWith("HTTP/1.1 200 OK", head, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {body.Length}", head, StringComparison.Ordinal);
        Assert.Contains("Connection: keep-alive", head, StringComparison.Ordinal);
        Assert.Equal(15, ((BInteger)TrackerTestData.Decode(body)["interval"]!).Value);
    }

    [Fact]
    public void Announce_FailuresAreBencoded()
    {
        TrackerEngine engine = NewEngine();
        Assert.Equal(TrackerRefusal.Unregistered, TrackerTestData.Failure(Request(engine, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Other, 1)).Body));
        Assert.Equal("missing info_hash", TrackerTestData.Failure(Request(engine, "/announce").Body));
        Assert.Equal("info_hash is not 20 bytes", TrackerTestData.Failure(Request(engine, "/announce?info_hash=%00").Body));
    }

    [Fact]
    public void IpParameter_IsHonouredOnlyFromLoopbackWithATrustedHost()
    {
        TrackerEngine engine = NewEngine();
        string query = "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1, extra: "&ip=10.9.9.9");
        string probe = "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 2);

        Request(engine, query, from: "192.0.2.7");
        Assert.Equal("192.0.2.7", PeerAddressIn(Request(engine, probe, from: "127.0.0.1").Body));

        Request(engine, query, from: "127.0.0.1", host: "rebound.example:8998");
        Assert.Equal("127.0.0.1", PeerAddressIn(Request(engine, probe).Body));

        Request(engine, query, from: "127.0.0.1", host: "localhost:8998");
        Assert.Equal("10.9.9.9", PeerAddressIn(Request(engine, probe).Body));
    }

    [Fact]
    public void IpParameter_IsHonouredFromAnyoneWhenConfigured()
    {
        TrackerEngine engine = NewEngine(new TrackerOptions { AllowIpParameter = true });
        Request(engine, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1, extra: "&ip=10.9.9.9"), from: "192.0.2.7", host: "tracker.example");
        Assert.Equal("10.9.9.9", PeerAddressIn(Request(engine, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 2)).Body));
    }

    [Fact]
    public void StatusPage_IsEncodedAndRefusedUnderForeignHostNames()
    {
        TrackerEngine engine = NewEngine();
        Request(engine, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1, left: 0));
        (string head, byte[] body) = Request(engine, "/");
        string html = Encoding.UTF8.GetString(body);
        Assert.Contains("text/html", head, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.Contains(TrackerTestData.Torrent.ToHex(), html, StringComparison.Ordinal);

        Assert.StartsWith("HTTP/1.1 403", Request(engine, "/", host: "attacker.example").Head, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", Request(engine, "/", host: "[::1]:8998").Head, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", Request(engine, "/", host: Environment.MachineName).Head, StringComparison.Ordinal);
    }

    [Fact]
    public void Page_metrics_and_ledger_answer_under_an_allowed_alias_and_say_how_to_allow_another()
    {
        TrackerEngine engine = NewEngine(new TrackerOptions { AllowedHostNames = new[] { "murder-tracker.dc1.example" } });
        foreach (string path in new[] { "/", "/metrics", "/deploy" })
        {
            Assert.StartsWith("HTTP/1.1 200", Request(engine, path, host: "Murder-Tracker.DC1.example:8998").Head, StringComparison.Ordinal);
            (string head, byte[] body) = Request(engine, path, host: "other-alias.dc1.example:8998");
            Assert.StartsWith("HTTP/1.1 403", head, StringComparison.Ordinal);
            Assert.Contains("-AllowedHostName", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        }

        // Announces are never Host-checked: peers may name the tracker any way.
        Assert.StartsWith("HTTP/1.1 200", Request(engine, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1, left: 0), host: "other-alias.dc1.example:8998").Head, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tracker", true)]
    [InlineData("murder-tracker.dc1.example.com", true)]
    [InlineData("", false)]
    [InlineData("bad name", false)]
    [InlineData("-tracker.example", false)]
    [InlineData("tracker..example", false)]
    [InlineData("tracker.example:8998", false)]
    [InlineData("tracker,other", false)]
    public void Allowed_host_names_must_be_DNS_names(string name, bool valid)
    {
        Assert.Equal(valid, TrackerOptions.IsHostName(name));
        var options = new TrackerOptions { AllowedHostNames = new[] { name } };
        if (valid)
        {
            options.Validate();
        }
        else
        {
            Assert.Equal("InvalidTrackerOption", Assert.Throws<MurderException>(options.Validate).ErrorId);
        }
    }

    [Fact]
    public void The_page_allows_only_its_own_script_and_style_by_hash_and_fetches_only_from_the_tracker()
    {
        TrackerEngine engine = NewEngine();
        (string head, byte[] body) = Request(engine, "/");
        string html = Encoding.UTF8.GetString(body);
        string policy = head.Split("\r\n").Single(line => line.StartsWith("Content-Security-Policy: ", StringComparison.Ordinal));
        string HashOf(string open, string close)
        {
            int start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
            return "'sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(html[start..html.IndexOf(close, start, StringComparison.Ordinal)]))) + "'";
        }

        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src " + HashOf("<script>", "</script>") + ";", policy, StringComparison.Ordinal);
        Assert.Contains("style-src " + HashOf("<style>", "</style>") + ";", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Content-Type-Options: nosniff", head, StringComparison.Ordinal);
        Assert.EndsWith("Connection: keep-alive", head, StringComparison.Ordinal);

        // Other answers carry no page policy and keep their plain head.
        Assert.DoesNotContain("Content-Security-Policy", Request(engine, "/metrics").Head, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownPaths_Get404AndHeadGetsNoBody()
    {
        TrackerEngine engine = NewEngine();
        Assert.StartsWith("HTTP/1.1 404", Request(engine, "/favicon.ico").Head, StringComparison.Ordinal);
        (string head, byte[] body) = Request(engine, "/scrape", method: "HEAD");
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Empty(body);
    }

    [Fact]
    public void Reject_ClosesWithAStatusPerProblem()
    {
        string text = Encoding.Latin1.GetString(TrackerEngine.Reject(HttpParseStatus.TooLarge, "too big", _output));
        Assert.StartsWith("HTTP/1.1 431", text, StringComparison.Ordinal);
        Assert.Contains("Connection: close", text, StringComparison.Ordinal);
        Assert.EndsWith("d14:failure reason7:too bige", text, StringComparison.Ordinal);
    }
}
