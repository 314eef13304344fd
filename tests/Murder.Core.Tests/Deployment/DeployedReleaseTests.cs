using System;
using System.IO;
using System.Linq;
using Murder.Core.Deployment;
using Xunit;

namespace Murder.Core.Tests.Deployment;

public sealed class DeployedReleaseTests
{
    [Fact]
    public void A_target_holds_a_release_only_when_recorded_with_its_info_hash_and_not_empty()
    {
        using var temp = new TempDirectory();
        string state = temp.Combine("state");
        string target = temp.Combine("releases", "T1");
        Assert.False(DeployedRelease.Holds(state, target, "aa"));
        Directory.CreateDirectory(target);
        DeployedRelease.Record(state, target, "aa");
        Assert.False(DeployedRelease.Holds(state, target, "aa"));
        File.WriteAllText(Path.Combine(target, "app.txt"), "x");
        Assert.True(DeployedRelease.Holds(state, target, "AA"));
        Assert.False(DeployedRelease.Holds(state, target, "bb"));
        Assert.False(DeployedRelease.Holds(state, temp.Combine("releases", "T2"), "aa"));
        DeployedRelease.Record(state, target, "bb");
        Assert.True(DeployedRelease.Holds(state, target, "bb"));
        Assert.Single(Directory.GetFiles(Path.Combine(state, "releases")));
        Assert.Empty(Directory.GetFiles(Path.Combine(state, "releases"), "*.tmp"));
    }

    [Fact]
    public void The_launch_arguments_carry_the_hosts_name_through_the_encoding()
    {
        var request = new PeerRunRequest { Tag = "T1", TorrentPath = "/srv/tmp/T1.tgz.torrent", TempPath = "C:\\Temp dir", DestinationPath = "/srv/rel eases", ReportHost = "wéb1.example:2222" };
        var parameters = PeerLaunch.Parameters(request, 6881, 30, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        string[] decoded = Murder.Core.Fleet.RemoteCommandLine.DecodeAgentArguments(Murder.Core.Fleet.RemoteCommandLine.EncodeAgentArguments(parameters));
        string Value(string name) => decoded[Array.IndexOf(decoded, "-" + name) + 1];
        Assert.Equal("wéb1.example:2222", Value("ReportHost"));
        Assert.Equal("C:\\Temp dir", Value("TempPath"));
        Assert.Equal("6881", Value("Port"));
        Assert.Equal("30", Value("SeedSeconds"));
        Assert.DoesNotContain("-StatusPath", decoded);
        Assert.DoesNotContain("-ParentProcessId", decoded);

        var anonymous = PeerLaunch.Parameters(request with { ReportHost = null }, 1, 0, DateTime.UtcNow);
        Assert.DoesNotContain("-ReportHost", Murder.Core.Fleet.RemoteCommandLine.DecodeAgentArguments(Murder.Core.Fleet.RemoteCommandLine.EncodeAgentArguments(anonymous)));
    }
}
