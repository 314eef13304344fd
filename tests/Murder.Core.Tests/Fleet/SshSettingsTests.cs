using System;
using System.IO;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public sealed class SshSettingsTests
{
    [Fact]
    public void Known_hosts_are_read_and_parsed_once_for_every_host_of_a_run()
    {
        using var temp = new TempDirectory();
        string path = temp.Combine("known_hosts");
        byte[] key = { 0, 0, 0, 11, 115, 115, 104, 45, 101, 100, 50, 53, 53, 49, 57 };
        File.WriteAllText(path, "web1 ssh-ed25519 " + Convert.ToBase64String(key) + "\n");
        var settings = new SshSettings { User = "deploy", KeyPaths = Array.Empty<string>(), KnownHostsPath = path };
        KnownHosts first = settings.LoadKnownHosts();
        Assert.Equal(KnownHostMatch.Trusted, first.Check("web1", 22, key));

        // Hosts connected later in the same run use the same parse, even if the file changed meanwhile.
        File.WriteAllText(path, string.Empty);
        Assert.Same(first, settings.LoadKnownHosts());

        // Another file is another parse.
        string other = temp.Combine("other_known_hosts");
        File.WriteAllText(other, string.Empty);
        KnownHosts second = (settings with { KnownHostsPath = other }).LoadKnownHosts();
        Assert.NotSame(first, second);
        Assert.Equal(KnownHostMatch.Unknown, second.Check("web1", 22, key));
    }
}
