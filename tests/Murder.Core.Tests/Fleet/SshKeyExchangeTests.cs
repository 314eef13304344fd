using System.Linq;
using Murder.Core.Fleet;
using Renci.SshNet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public class SshKeyExchangeTests
{
    [Fact]
    public void Curve25519_comes_first_and_no_SHA1_group_is_offered()
    {
        var connection = new ConnectionInfo("198.18.0.1", 22, "root", new NoneAuthenticationMethod("root"));
        SshHostExecutor.PreferCurve25519(connection);
        string[] names = connection.KeyExchangeAlgorithms.Keys.ToArray();
        Assert.Equal("curve25519-sha256", names[0]);
        Assert.Equal("curve25519-sha256@libssh.org", names[1]);
        Assert.Contains("sntrup761x25519-sha512@openssh.com", names); // still there for servers without curve25519
        Assert.DoesNotContain(names, name => name.EndsWith("-sha1", System.StringComparison.Ordinal));
    }
}
