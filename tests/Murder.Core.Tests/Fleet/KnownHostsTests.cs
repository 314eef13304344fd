using System;
using System.Security.Cryptography;
using System.Text;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public class KnownHostsTests
{
    private static readonly byte[] KeyA = Encoding.ASCII.GetBytes("key-a");
    private static readonly byte[] KeyB = Encoding.ASCII.GetBytes("key-b");
    private static string A => Convert.ToBase64String(KeyA);
    private static string B => Convert.ToBase64String(KeyB);

    [Fact]
    public void Plain_entries_match_by_host_and_port()
    {
        var known = KnownHosts.Parse($"# comment\nweb1,198.18.0.2 ssh-ed25519 {A} c\n[web2]:2222 ssh-ed25519 {B}\n");
        Assert.Equal(KnownHostMatch.Trusted, known.Check("web1", 22, KeyA));
        Assert.Equal(KnownHostMatch.Trusted, known.Check("198.18.0.2", 22, KeyA));
        Assert.Equal(KnownHostMatch.Mismatch, known.Check("web1", 22, KeyB));
        Assert.Equal(KnownHostMatch.Trusted, known.Check("web2", 2222, KeyB));
        Assert.Equal(KnownHostMatch.Unknown, known.Check("web2", 22, KeyB));
        Assert.Equal(KnownHostMatch.Unknown, known.Check("web3", 22, KeyA));
    }

    [Fact]
    public void Hashed_entries_wildcards_negation_and_revocation()
    {
        byte[] salt = RandomNumberGenerator.GetBytes(20);
        string hashed = "|1|" + Convert.ToBase64String(salt) + "|" + Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes("secret.example.com")));
        var known = KnownHosts.Parse($"{hashed} ssh-ed25519 {A}\n*.prod,!db.prod ssh-rsa {B}\n@revoked * ssh-ed25519 {Convert.ToBase64String(Encoding.ASCII.GetBytes("stolen"))}\n@cert-authority *.prod ssh-rsa {A}\n");
        Assert.Equal(KnownHostMatch.Trusted, known.Check("secret.example.com", 22, KeyA));
        Assert.Equal(KnownHostMatch.Trusted, known.Check("web.prod", 22, KeyB));
        Assert.Equal(KnownHostMatch.Unknown, known.Check("db.prod", 22, KeyB));
        Assert.Equal(KnownHostMatch.Revoked, known.Check("any", 22, Encoding.ASCII.GetBytes("stolen")));
    }

    [Fact]
    public void Fingerprints_look_like_ssh_keygen()
    {
        Assert.Matches("^SHA256:[A-Za-z0-9+/]{43}$", KnownHosts.Fingerprint(KeyA));
    }
}
