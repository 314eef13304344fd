using System;
using Murder.Core.MetaInfo;
using Xunit;

namespace Murder.Core.Tests.MetaInfo;

public class AnnounceUrlTests
{
    [Theory]
    [InlineData("tracker01:8998", "http://tracker01:8998/announce")]
    [InlineData("tracker01", "http://tracker01:8998/announce")]
    [InlineData("198.18.0.1:7000", "http://198.18.0.1:7000/announce")]
    [InlineData("[::1]:8998", "http://[::1]:8998/announce")]
    [InlineData("[::1]", "http://[::1]:8998/announce")]
    [InlineData("http://tracker01:8998/announce", "http://tracker01:8998/announce")]
    [InlineData("http://tracker01:8998", "http://tracker01:8998/announce")]
    [InlineData("https://tracker.example/announce?key=abc", "https://tracker.example/announce?key=abc")]
    [InlineData("udp://tracker01:8998", "udp://tracker01:8998/")]
    [InlineData("  tracker01:8998  ", "http://tracker01:8998/announce")]
    public void Accepted_forms_normalize(string input, string expected)
    {
        Assert.Equal(expected, AnnounceUrl.Normalize(input));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ftp://x/announce", "scheme")]
    [InlineData("http://user:pw@x/announce", "user information")]
    [InlineData("tracker01:0", "port number")]
    [InlineData("tracker01:65536", "port number")]
    [InlineData("tracker01:http", "port number")]
    [InlineData("::1", "IPv6")]
    [InlineData("[::1", "never closes")]
    [InlineData("bad host:1", "not a valid host")]
    [InlineData("http://x/announce#frag", "fragment")]
    public void Bad_trackers_say_why(string input, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => AnnounceUrl.Normalize(input));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
