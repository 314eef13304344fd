using System;
using System.Text;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public sealed class DeployLedgerJsonTests
{
    [Fact]
    public void A_deploy_page_reads_as_the_contract_writes_it()
    {
        const string Json = """
            {"nowUtc":"2026-12-03T15:04:05.123Z","infoHash":"00112233445566778899aabbccddeeff00112233","name":"T1.tgz","tag":"T1","size":1000,
             "firstUtc":"2026-12-03T15:00:00.000Z","lastUtc":"2026-12-03T15:04:00.000Z","version":12,"hosts":2,
             "counts":{"starting":0,"verifying":0,"downloading":1,"extracting":0,"seeding":0,"done":0,"failed":1},"downloaded":500,"rate":100,
             "entries":[{"host":"web1","role":"peer","address":"198.18.3.4","stage":"downloading","firstUtc":"2026-12-03T15:00:00.000Z","lastUtc":"2026-12-03T15:04:00.123Z","downloaded":500,"left":500,"rate":100,"errorId":null,"message":null,"version":11},
                        {"host":"wéb2","role":"peer","address":"198.18.3.5","stage":"failed","firstUtc":"2026-12-03T15:00:00.000Z","lastUtc":"2026-12-03T15:01:00.000Z","downloaded":0,"left":1000,"rate":0,"errorId":"DownloadStalled","message":"no data","version":12},
                        {"host":"future","stage":"teleporting","version":13}],
             "next":12,"more":false,"extra":{"ignored":true}}
            """;
        DeployLedgerPage page = DeployLedgerJson.ParsePage(Encoding.UTF8.GetBytes(Json));
        Assert.Equal(new DateTime(2026, 12, 3, 15, 4, 5, 123, DateTimeKind.Utc), page.NowUtc);
        Assert.Equal(DateTimeKind.Utc, page.NowUtc.Kind);
        Assert.Equal("T1", page.Deploy.Tag);
        Assert.Equal(1000, page.Deploy.Size);
        Assert.Equal(1, page.Deploy.Failed);
        Assert.Equal(1, page.Deploy.Active);
        Assert.Equal(12, page.Version);
        Assert.Equal(12, page.Next);
        Assert.False(page.More);
        Assert.Equal(2, page.Entries.Count);
        DeployLedgerEntry web1 = page.Entries[0];
        Assert.Equal(DeployStage.Downloading, web1.Stage);
        Assert.Equal(500, web1.Left);
        Assert.Equal(TimeSpan.FromSeconds(5), web1.SilentFor);
        Assert.Equal("T1", web1.Tag);
        Assert.Equal("00112233445566778899aabbccddeeff00112233", web1.InfoHash);
        Assert.Equal("wéb2", page.Entries[1].Host);
        Assert.Equal("DownloadStalled", page.Entries[1].ErrorId);
    }

    [Fact]
    public void The_deploy_list_reads_newest_first()
    {
        const string Json = """{"nowUtc":"2026-12-03T15:04:05Z","deploys":[{"infoHash":"aa","tag":"B","hosts":3,"counts":{"done":2,"seeding":1}},{"infoHash":"bb","tag":"A","hosts":0,"counts":{}}]}""";
        DeployList list = DeployLedgerJson.ParseList(Encoding.UTF8.GetBytes(Json));
        Assert.Equal(new[] { "B", "A" }, new[] { list.Deploys[0].Tag, list.Deploys[1].Tag });
        Assert.Equal(3, list.Deploys[0].Succeeded);
        Assert.Equal(0, list.Deploys[0].Active);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("d8:intervali5ee")]
    public void Anything_else_is_an_invalid_ledger(string text)
    {
        Assert.Equal("DeployLedgerInvalid", Assert.Throws<MurderException>(() => DeployLedgerJson.ParsePage(Encoding.UTF8.GetBytes(text))).ErrorId);
    }

    [Theory]
    [InlineData("tracker01:8998", "http://tracker01:8998/deploy")]
    [InlineData("[2001:db8::1]:8998", "http://[2001:db8::1]:8998/deploy")]
    [InlineData("http://t:1/announce?murder_key=ab", "http://t:1/deploy")]
    [InlineData("http://t:1/murder/announce", "http://t:1/murder/deploy")]
    public void A_tracker_address_names_its_ledger(string tracker, string expected)
    {
        using DeployLedgerClient client = DeployLedgerClient.ForTracker(tracker);
        Assert.Equal(expected, client.DeployUrl.ToString());
    }

    [Fact]
    public void A_tracker_without_a_port_is_refused()
    {
        Assert.Equal("InvalidTracker", Assert.Throws<MurderException>(() => DeployLedgerClient.ForTracker("tracker01")).ErrorId);
    }
}

public sealed class DeployLedgerClientTests
{
    [Fact]
    public async System.Threading.Tasks.Task A_tracker_named_by_dns_is_asked_under_its_address()
    {
        // The tracker serves its ledger only under an IP literal, localhost or its machine name.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        string? hostHeader = null;
        System.Threading.Tasks.Task server = System.Threading.Tasks.Task.Run(async () =>
        {
            using System.Net.Sockets.TcpClient client = await listener.AcceptTcpClientAsync();
            using System.Net.Sockets.NetworkStream stream = client.GetStream();
            var reader = new System.IO.StreamReader(stream, Encoding.ASCII);
            while (await reader.ReadLineAsync() is string line && line.Length > 0)
            {
                if (line.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))
                {
                    hostHeader = line[5..].Trim();
                }
            }

            const string Body = """{"nowUtc":"2026-12-03T15:04:05Z","deploys":[]}""";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}"));
        });

        // A DNS name of this machine's loopback: its own name where that resolves there, else "localhost.".
        System.Net.IPAddress[] resolved;
        try
        {
            resolved = await System.Net.Dns.GetHostAddressesAsync(Environment.MachineName);
        }
        catch (System.Net.Sockets.SocketException)
        {
            resolved = Array.Empty<System.Net.IPAddress>();
        }

        string name = Array.Exists(resolved, a => a.Equals(System.Net.IPAddress.Loopback)) ? Environment.MachineName : "localhost.";
        using var ledger = new DeployLedgerClient(new Uri($"http://{name}:{port}/deploy"));
        Assert.Empty((await ledger.ListAsync(System.Threading.CancellationToken.None)).Deploys);
        await server;
        Assert.Equal($"127.0.0.1:{port}", hostHeader);
    }
}
