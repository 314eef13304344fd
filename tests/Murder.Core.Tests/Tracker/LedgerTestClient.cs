using System;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Http;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>Report queries and a sans-IO client for the deploy ledger's tests.</summary>
internal sealed class LedgerTestClient : IDisposable
{
    private readonly ResponseBuilder _output = new();

    public LedgerTestClient(TrackerEngine engine)
    {
        Engine = engine;
    }

    public TrackerEngine Engine { get; }

    public static string ReportQuery(InfoHash infoHash, string? host, string stage, long downloaded = 0, long left = 100, long rate = 0, string? extra = null)
    {
        var query = new StringBuilder("info_hash=").Append(TrackerTestData.Escape(infoHash.Bytes))
            .Append("&peer_id=").Append(TrackerTestData.PeerId(1))
            .Append("&stage=").Append(stage)
            .Append("&downloaded=").Append(downloaded.ToString(CultureInfo.InvariantCulture))
            .Append("&left=").Append(left.ToString(CultureInfo.InvariantCulture))
            .Append("&rate=").Append(rate.ToString(CultureInfo.InvariantCulture));
        if (host is not null)
        {
            query.Append("&host=").Append(Uri.EscapeDataString(host));
        }

        return query.Append(extra).ToString();
    }

    public (int Status, string Head, byte[] Body) Get(string target, string host = "127.0.0.1:8998", string from = "127.0.0.1")
    {
        byte[] request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(request, 8192, out HttpRequestHead head));
        IPAddress address = IPAddress.Parse(from);
        Engine.Handle(request, head, new TrackerClientInfo(PeerAddress.From(address), IPAddress.IsLoopback(address)), _output, out ArraySegment<byte> response);
        string text = Encoding.Latin1.GetString(response);
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        int status = int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture);
        return (status, text[..split], response.AsSpan(split + 4).ToArray());
    }

    /// <summary>Sends a report; returns null when accepted (and checks the interval), or the failure reason.</summary>
    public string? Report(InfoHash infoHash, string? host, string stage, long downloaded = 0, long left = 100, long rate = 0, string? extra = null, string from = "198.18.0.7")
    {
        (int status, _, byte[] body) = Get("/report?" + ReportQuery(infoHash, host, stage, downloaded, left, rate, extra), from: from);
        Assert.Equal(200, status);
        string? failure = TrackerTestData.Failure(body);
        if (failure is null)
        {
            Assert.Equal("d8:intervali5ee", Encoding.ASCII.GetString(body));
        }

        return failure;
    }

    /// <summary>Reads /deploy with a query; the body must be JSON.</summary>
    public JsonElement Read(string query = "", string host = "127.0.0.1:8998")
    {
        (int status, string head, byte[] body) = Get("/deploy" + (query.Length > 0 ? "?" + query : string.Empty), host);
        Assert.True(status == 200, $"GET /deploy?{query} answered {head}: {Encoding.UTF8.GetString(body)}");
        Assert.Contains("Content-Type: application/json", head, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    public JsonElement Read(InfoHash infoHash, long since = 0, int? limit = null, string? stage = null) =>
        Read($"info_hash={infoHash.ToHex()}&since={since}" + (limit is int l ? $"&limit={l}" : string.Empty) + (stage is null ? string.Empty : "&stage=" + stage));

    public void Dispose() => _output.Dispose();
}
