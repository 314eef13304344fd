using System;
using System.Net;
using System.Text;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Http;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>A GET from loopback through the sans-IO engine, answered as UTF-8 head and body.</summary>
internal static class EngineGet
{
    public static (string Head, string Body) Get(this TrackerEngine engine, ResponseBuilder output, string target, string host = "127.0.0.1:8998")
    {
        byte[] request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(request, 8192, out HttpRequestHead head));
        engine.Handle(request, head, new TrackerClientInfo(PeerAddress.From(IPAddress.Loopback), true), output, out ArraySegment<byte> response);
        string text = Encoding.UTF8.GetString(response);
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (text[..split], text[(split + 4)..]);
    }
}
