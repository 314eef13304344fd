using System;
using System.Text;
using Murder.Core.Tracker.Http;
using Xunit;

namespace Murder.Core.Tests.Tracker;

public sealed class HttpRequestParserTests
{
    private static HttpParseStatus Parse(string text, out HttpRequestHead head, int limit = 8192) =>
        HttpRequestParser.TryParse(Encoding.Latin1.GetBytes(text), limit, out head);

    [Fact]
    public void Parse_ReadsTargetHostAndKeepAlive()
    {
        string text = "GET /announce?a=1 HTTP/1.1\r\nHost: 127.0.0.1:8998\r\nUser-Agent: x\r\n\r\nNEXT";
        Assert.Equal(HttpParseStatus.Complete, Parse(text, out HttpRequestHead head));
        Assert.Equal("/announce?a=1", text.Substring(head.TargetStart, head.TargetLength));
        Assert.Equal("/announce".Length, head.PathLength);
        Assert.Equal("127.0.0.1:8998", text.Substring(head.HostStart, head.HostLength));
        Assert.True(head.KeepAlive);
        Assert.False(head.IsHead);
        Assert.Equal(text.Length - "NEXT".Length, head.Length);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true)]
    [InlineData("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", true)]
    public void Parse_ConnectionPersistenceFollowsVersionAndHeader(string text, bool keepAlive)
    {
        Assert.Equal(HttpParseStatus.Complete, Parse(text, out HttpRequestHead head));
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Theory]
    [InlineData("GET /announce HTTP/1.1\r\nHost: a\r\n")]
    [InlineData("GET /announce HT")]
    [InlineData("")]
    public void Parse_WaitsForTheRest(string text) => Assert.Equal(HttpParseStatus.Incomplete, Parse(text, out _));

    [Theory]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("GET\r\n\r\n")]
    [InlineData("GET /a\r\n\r\n")]
    [InlineData("GET  /a HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1 extra\r\nHost: a\r\n\r\n")]
    [InlineData("GET a HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a\u00ff HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("G(T /a HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\u0001b\r\n\r\n")]
    [InlineData("\0\0\0\0")]
    [InlineData("GET /a HTTP/1.1\nHost: a\n\n")]
    public void Parse_RejectsMalformedRequests(string text)
    {
        Assert.Equal(HttpParseStatus.Invalid, Parse(text, out HttpRequestHead head));
        Assert.False(string.IsNullOrEmpty(head.Error));
    }

    [Theory]
    [InlineData("POST /announce HTTP/1.1\r\nHost: a\r\n\r\n", "MethodNotAllowed")]
    [InlineData("GET /announce HTTP/2.0\r\nHost: a\r\n\r\n", "VersionNotSupported")]
    [InlineData("GET /announce HTTP/1.1\r\n", "Incomplete")]
    [InlineData("POST /announce HTTP/1.1\r\n", "MethodNotAllowed")]
    public void Parse_ClassifiesUnsupportedRequests(string text, string expected) => Assert.Equal(Enum.Parse<HttpParseStatus>(expected), Parse(text, out _));

    [Fact]
    public void Parse_RejectsOversizedHeads()
    {
        string text = "GET /a HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('x', 300) + "\r\n\r\n";
        Assert.Equal(HttpParseStatus.TooLarge, Parse(text, out _, limit: 256));
        Assert.Equal(HttpParseStatus.TooLarge, Parse(text[..260], out _, limit: 256));
        Assert.Equal(HttpParseStatus.Complete, Parse(text, out _, limit: 1024));
    }

    [Fact]
    public void Parse_RejectsTooManyHeaders()
    {
        var text = new StringBuilder("GET /a HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; i < HttpRequestParser.MaxHeaderCount + 1; i++)
        {
            text.Append("X: y\r\n");
        }

        text.Append("\r\n");
        Assert.Equal(HttpParseStatus.TooLarge, Parse(text.ToString(), out _));
    }
}
