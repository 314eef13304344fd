using System;
using System.Collections.Generic;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public class FleetConfigurationTests
{
    private static FleetConfiguration From(params (string Key, object? Value)[] values)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach ((string key, object? value) in values)
        {
            dictionary[key] = value;
        }

        return FleetConfiguration.FromValues(dictionary, "murder.psd1");
    }

    [Fact]
    public void Defaults_match_Murder()
    {
        FleetConfiguration config = From();
        Assert.Equal(8998, config.TrackerPort);
        Assert.Equal("pwsh", config.RemotePwshPath);
        Assert.Equal("dotnet", config.RemoteDotnetPath);
        Assert.Null(From(("RemoteDotnetPath", null)).RemoteDotnetPath);
        Assert.Equal("/opt/dotnet/dotnet", From(("RemoteDotnetPath", "/opt/dotnet/dotnet")).RemoteDotnetPath);
        Assert.Equal("/tmp", config.TempPath);
        Assert.Equal(22, config.SshPort);
        Assert.Equal(32, config.ThrottleLimit);
        Assert.Null(config.Seeder());
        Assert.Empty(config.AllHosts());
    }

    [Fact]
    public void Roles_default_to_the_first_peer_and_the_suffix_is_appended_to_names_only()
    {
        FleetConfiguration config = From(("Peers", new List<object?> { "web1", "web2:2222", "198.18.0.5" }), ("HostSuffix", ".example.com"), ("SshPort", 2200));
        Assert.Equal(new FleetHost("web1.example.com", 2200), config.Seeder());
        Assert.Equal(config.Seeder(), config.Tracker());
        Assert.Equal(new[] { new FleetHost("web1.example.com", 2200), new FleetHost("web2.example.com", 2222), new FleetHost("198.18.0.5", 2200) }, config.PeerHosts());
        Assert.Equal(3, config.AllHosts().Count);
    }

    [Fact]
    public void Named_tracker_and_seeder_join_the_host_list_once()
    {
        FleetConfiguration config = From(("Peers", "web1"), ("SeederHost", "build"), ("TrackerHost", "web1"), ("trackerport", 9000));
        Assert.Equal("build", config.Seeder()!.Name);
        Assert.Equal("web1", config.Tracker()!.Name);
        Assert.Equal(9000, config.TrackerPort);
        Assert.Equal(new[] { "web1", "build" }, new List<FleetHost>(config.AllHosts()).ConvertAll(h => h.Name));
    }

    [Theory]
    [InlineData("TrackerPort", "x", "TrackerPort")]
    [InlineData("TrackerPort", 70000, "from 1 to 65535")]
    [InlineData("ThrottleLimit", 0, "ThrottleLimit")]
    [InlineData("DefaultTag", "a/b", "DefaultTag")]
    [InlineData("RemotePwshPath", "pwsh; rm -rf /", "RemotePwshPath")]
    [InlineData("RemotePwshPath", "$(evil)", "RemotePwshPath")]
    [InlineData("RemoteDotnetPath", "dotnet && reboot", "RemoteDotnetPath")]
    [InlineData("RemoteDotnetPath", 5, "RemoteDotnetPath")]
    [InlineData("SeederHost", "bad host", "SeederHost")]
    [InlineData("HostSuffix", ".a;b", "HostSuffix")]
    [InlineData("User", "-oProxyCommand=x", "User")]
    [InlineData("Colour", "blue", "is not a Murder setting")]
    [InlineData("SshPort", true, "SshPort")]
    public void Bad_values_name_the_key_and_the_problem(string key, object value, string expected)
    {
        MurderException error = Assert.Throws<MurderException>(() => From((key, value)));
        Assert.Equal("InvalidConfiguration", error.ErrorId);
        Assert.Contains(expected, error.Message, System.StringComparison.Ordinal);
        Assert.StartsWith("murder.psd1: ", error.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_peer_is_named_by_its_index()
    {
        MurderException error = Assert.Throws<MurderException>(() => From(("Peers", new List<object?> { "ok", "web:0" })));
        Assert.Contains("Peers[1]", error.Message, System.StringComparison.Ordinal);
        Assert.Throws<MurderException>(() => From(("Peers", new List<object?> { "ok", 5 })));
    }

    [Fact]
    public void The_template_reads_back_as_the_same_configuration()
    {
        FleetConfiguration config = From(("Peers", new List<object?> { "a", "b:2222" }), ("User", "deploy"));
        string text = FleetConfigurationTemplate.Render(config);
        Assert.Contains("Peers                  = @('a', 'b:2222')", text, System.StringComparison.Ordinal);
        Assert.Contains("User                   = 'deploy'", text, System.StringComparison.Ordinal);
        foreach (string key in FleetConfiguration.Keys)
        {
            Assert.Contains(key, text, System.StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LocalTempPath_IsTheConfiguredTempPath_ElseSlashTmpOnLinux_AndTheSystemTempElsewhere()
    {
        Assert.Equal("/srv/tmp", From(("TempPath", "/srv/tmp")).LocalTempPath());
        Assert.Equal(@"C:\Windows\Temp\Murder", From(("TempPath", @"C:\Windows\Temp\Murder")).LocalTempPath());
        Assert.Equal(OperatingSystem.IsLinux() ? "/tmp" : System.IO.Path.GetTempPath(), From().LocalTempPath());
        // The hosts' default stays Murder's /tmp whatever this machine is.
        Assert.Equal("/tmp", From().TempPath);
    }

    [Fact]
    public void RegistrationHost_IsTrackerHost_ElseTheAnnounceHost_AndNullForLoopback()
    {
        var announce = new Uri("http://tracker01:8998/announce");
        Assert.Equal(new FleetHost("tracker01.example.com", 2222), From(("HostSuffix", ".example.com"), ("SshPort", 2222)).RegistrationHost(announce));
        Assert.Equal(new FleetHost("track02", 22), From(("TrackerHost", "track02")).RegistrationHost(announce));
        Assert.Equal(new FleetHost("198.18.5.11", 22), From(("HostSuffix", ".example.com")).RegistrationHost(new Uri("http://198.18.5.11:8998/announce")));
        Assert.Null(From().RegistrationHost(new Uri("http://127.0.0.1:8998/announce")));
        Assert.Null(From().RegistrationHost(new Uri("http://localhost:8998/announce")));
        Assert.Null(From().RegistrationHost(new Uri("http://[::1]:8998/announce")));
    }
}
