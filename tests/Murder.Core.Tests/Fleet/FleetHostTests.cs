using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public class FleetHostTests
{
    [Theory]
    [InlineData("web1", "", 22, "web1", 22)]
    [InlineData("web1:2222", "", 22, "web1", 2222)]
    [InlineData("web1", ".example.com", 22, "web1.example.com", 22)]
    [InlineData("web1.example.com", ".example.com", 22, "web1.example.com", 22)]
    [InlineData("198.18.0.4", ".example.com", 2200, "198.18.0.4", 2200)]
    [InlineData("[::1]:2222", ".example.com", 22, "::1", 2222)]
    [InlineData("fe80::1", "", 22, "fe80::1", 22)]
    public void Parses_names_ports_and_suffixes(string text, string suffix, int defaultPort, string name, int port)
    {
        Assert.Equal(new FleetHost(name, port), FleetHost.Parse(text, suffix, defaultPort));
    }

    [Theory]
    [InlineData("")]
    [InlineData("web1:0")]
    [InlineData("web1:65536")]
    [InlineData("web1:ssh")]
    [InlineData("-oProxyCommand=x")]
    [InlineData("web 1")]
    [InlineData("web1;reboot")]
    [InlineData("[web1]:22")]
    [InlineData("a:b:c")]
    public void Rejects_bad_entries(string text)
    {
        Assert.NotNull(FleetHost.Check(text));
        Assert.Equal("InvalidHostName", Assert.Throws<MurderException>(() => FleetHost.Parse(text, string.Empty, 22)).ErrorId);
    }

    [Fact]
    public void Prints_the_port_only_when_it_is_not_22()
    {
        Assert.Equal("web1", new FleetHost("web1", 22).ToString());
        Assert.Equal("web1:2222", new FleetHost("web1", 2222).ToString());
        Assert.Equal("[::1]:2222", new FleetHost("::1", 2222).ToString());
    }
}
