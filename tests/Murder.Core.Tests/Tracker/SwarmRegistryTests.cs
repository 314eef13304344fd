using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using Murder.Core.BEncoding;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Xunit;

namespace Murder.Core.Tests.Tracker;

public sealed class SwarmRegistryTests : IDisposable
{
    private readonly ManualTime _time = new();
    private readonly ResponseBuilder _output = new();

    public void Dispose() => _output.Dispose();

    private SwarmRegistry NewRegistry(TrackerOptions? options = null)
    {
        var registry = new SwarmRegistry(options ?? new TrackerOptions(), _time);
        registry.Register(TrackerTestData.Torrent, "Deploy1.tgz");
        return registry;
    }

    private BDictionary Announce(SwarmRegistry registry, int peer, long left = 100, string? extra = null, string address = "10.0.0.1", InfoHash? infoHash = null)
    {
        _output.Reset();
        string? parseError = TrackerQueryParser.ParseAnnounce(Encoding.ASCII.GetBytes(TrackerTestData.AnnounceQuery(infoHash ?? TrackerTestData.Torrent, peer, left, extra)), out AnnounceRequest request);
        Assert.Null(parseError);
        string? failure = registry.Announce(request, PeerAddress.From(IPAddress.Parse(address)), _output);
        if (failure is not null)
        {
            _output.WriteFailure(failure);
        }

        return TrackerTestData.Decode(_output.Body);
    }

    private static long Int(BDictionary d, string key) => ((BInteger)d[key]!).Value;

    private static List<IPEndPoint> CompactPeers(BDictionary response)
    {
        var peers = new List<IPEndPoint>();
        byte[] v4 = ((BString)response["peers"]!).Bytes.ToArray();
        for (int i = 0; i < v4.Length; i += 6)
        {
            peers.Add(new IPEndPoint(new IPAddress(v4.AsSpan(i, 4)), (v4[i + 4] << 8) | v4[i + 5]));
        }

        if (response["peers6"] is BString six)
        {
            byte[] v6 = six.Bytes.ToArray();
            Assert.Equal(0, v6.Length % 18);
            for (int i = 0; i < v6.Length; i += 18)
            {
                peers.Add(new IPEndPoint(new IPAddress(v6.AsSpan(i, 16)), (v6[i + 16] << 8) | v6[i + 17]));
            }
        }

        return peers;
    }

    [Fact]
    public void Announce_ReturnsIntervalCountsAndOtherPeersCompact()
    {
        SwarmRegistry registry = NewRegistry();
        BDictionary first = Announce(registry, 1, extra: "&event=started");
        Assert.Equal(15, Int(first, "interval"));
        Assert.Equal(15, Int(first, "min interval"));
        Assert.Empty(CompactPeers(first));

        BDictionary second = Announce(registry, 2, left: 0, address: "10.0.0.2");
        Assert.Equal(1, Int(second, "complete"));
        Assert.Equal(1, Int(second, "incomplete"));
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6001) }, CompactPeers(second));
        Assert.Equal(2, registry.PeerCount);
    }

    [Fact]
    public void Announce_ListsIPv6PeersInPeers6()
    {
        SwarmRegistry registry = NewRegistry();
        Announce(registry, 1, address: "2001:db8::1");
        Announce(registry, 2, address: "::ffff:10.0.0.9");
        BDictionary response = Announce(registry, 3, address: "10.0.0.3");
        List<IPEndPoint> peers = CompactPeers(response);
        Assert.Contains(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 6001), peers);
        Assert.Contains(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 6002), peers);
        Assert.Equal(2, peers.Count);
    }

    [Fact]
    public void Announce_GivesDictionaryPeersWhenNotCompact()
    {
        SwarmRegistry registry = NewRegistry();
        Announce(registry, 1, address: "2001:db8::5");
        BDictionary response = Announce(registry, 2, extra: "&compact=0");
        var peer = (BDictionary)((BList)response["peers"]!)[0];
        Assert.Equal("2001:db8::5", ((BString)peer["ip"]!).Text);
        Assert.Equal(6001, Int(peer, "port"));
        Assert.Equal(TrackerTestData.PeerId(1), ((BString)peer["peer id"]!).Text);

        BDictionary noId = Announce(registry, 2, extra: "&compact=0&no_peer_id=1");
        Assert.Null(((BDictionary)((BList)noId["peers"]!)[0])["peer id"]);
    }

    [Fact]
    public void Announce_HonoursNumWantUpToTheMaximum()
    {
        SwarmRegistry registry = NewRegistry(new TrackerOptions { MaxNumWant = 30, DefaultNumWant = 5 });
        for (int i = 0; i < 60; i++)
        {
            Announce(registry, i);
        }

        Assert.Equal(5, CompactPeers(Announce(registry, 0)).Count);
        Assert.Equal(12, CompactPeers(Announce(registry, 0, extra: "&numwant=12")).Count);
        Assert.Equal(30, CompactPeers(Announce(registry, 0, extra: "&numwant=500")).Count);
        Assert.Empty(CompactPeers(Announce(registry, 0, extra: "&numwant=0")));
        List<IPEndPoint> all = CompactPeers(Announce(registry, 0, extra: "&numwant=30"));
        Assert.DoesNotContain(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6000), all);
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void Announce_DrawsPeersFromTheWholeSwarm_NotFromThoseThatJoinedTogether()
    {
        // A newcomer given only the latest joiners connects to downloaders only (and they all queue
        // at the same few seeds): each answer must be spread over the swarm's join order.
        var registry = new SwarmRegistry(new TrackerOptions { MaxNumWant = 200 }, _time) { PeerSelection = new Random(7) };
        registry.Register(TrackerTestData.Torrent, "Deploy1.tgz");
        const int joined = 1000;
        for (int i = 0; i < joined; i++)
        {
            Announce(registry, i);
        }

        for (int newcomer = 0; newcomer < 20; newcomer++)
        {
            List<int> order = CompactPeers(Announce(registry, joined + newcomer, extra: "&numwant=50")).Select(peer => peer.Port - 6000).ToList();
            Assert.Equal(50, order.Distinct().Count());
            int densest = Enumerable.Range(0, joined - 100).Max(first => order.Count(index => index >= first && index < first + 100));
            Assert.True(densest <= 20, $"answer {newcomer}: {densest} of its 50 peers joined within 100 of each other (about 5 expected)");
            Assert.True(order.Count(index => index >= joined - 100) <= 20, $"answer {newcomer}: mostly the latest joiners");
        }
    }

    [Fact]
    public void Announce_GivesSeedersOnlyLeechers()
    {
        SwarmRegistry registry = NewRegistry();
        Announce(registry, 1, left: 0);
        Announce(registry, 2, left: 0);
        Announce(registry, 3, left: 10);
        List<IPEndPoint> peers = CompactPeers(Announce(registry, 4, left: 0));
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6003) }, peers);
    }

    [Fact]
    public void Events_CountCompletedOnceAndStoppedRemoves()
    {
        SwarmRegistry registry = NewRegistry();
        Announce(registry, 1, extra: "&event=started");
        Announce(registry, 1, left: 0, extra: "&event=completed");
        BDictionary again = Announce(registry, 1, left: 0, extra: "&event=completed");
        Assert.Equal(1, Int(again, "downloaded"));
        Assert.Equal(1, Int(again, "complete"));
        Assert.Equal(0, Int(again, "incomplete"));

        BDictionary stopped = Announce(registry, 1, left: 0, extra: "&event=stopped");
        Assert.Equal(0, Int(stopped, "complete"));
        Assert.Equal(1, Int(stopped, "downloaded"));
        Assert.Empty(CompactPeers(stopped));
        Assert.Equal(0, registry.PeerCount);
    }

    [Fact]
    public void Completed_CountsLeechersThatFinishWithoutSayingSo()
    {
        SwarmRegistry registry = NewRegistry();
        Announce(registry, 1, left: 50, extra: "&event=started");
        Assert.Equal(1, Int(Announce(registry, 1, left: 0), "downloaded"));
        Assert.Equal(1, Int(Announce(registry, 1, left: 0, extra: "&event=completed"), "downloaded"));
        Announce(registry, 2, left: 50, extra: "&event=started");
        Assert.Equal(2, Int(Announce(registry, 2, left: 0, extra: "&event=stopped"), "downloaded"));
        Announce(registry, 3, left: 0, extra: "&event=started");
        Assert.Equal(2, Int(Announce(registry, 3, left: 0, extra: "&event=stopped"), "downloaded"));
    }

    [Fact]
    public void Announce_RefusesUnregisteredTorrentsUnlessOpen()
    {
        SwarmRegistry closed = NewRegistry();
        Assert.Equal(TrackerRefusal.Unregistered, Announce(closed, 1, infoHash: TrackerTestData.Other)["failure reason"]!.ToString());

        SwarmRegistry open = NewRegistry(new TrackerOptions { Open = true });
        Assert.Equal(15, Int(Announce(open, 1, infoHash: TrackerTestData.Other), "interval"));
        Assert.Equal(2, open.TorrentCount);
    }

    [Fact]
    public void Unregister_DropsTheSwarm()
    {
        SwarmRegistry registry = NewRegistry();
        Announce(registry, 1);
        Assert.True(registry.Unregister(TrackerTestData.Torrent));
        Assert.Equal(0, registry.PeerCount);
        Assert.Equal(TrackerRefusal.Unregistered, Announce(registry, 1)["failure reason"]!.ToString());
    }

    [Fact]
    public void Expiry_DropsPeersThatMissTheirAnnounces()
    {
        SwarmRegistry registry = NewRegistry();
        Announce(registry, 1);
        _time.Advance(TimeSpan.FromSeconds(100));
        Announce(registry, 2);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, registry.ExpirePeers());
        Assert.Equal(1, registry.PeerCount);
        Assert.Empty(CompactPeers(Announce(registry, 2)));

        _time.Advance(TimeSpan.FromSeconds(121));
        Assert.Equal(1, registry.ExpirePeers());
        Assert.Equal(0, registry.PeerCount);
        Assert.Equal(1, registry.TorrentCount);
    }

    [Fact]
    public void Expiry_IsAtLeastThreeIntervalsAndDropsEmptyOpenSwarms()
    {
        SwarmRegistry registry = NewRegistry(new TrackerOptions { Open = true, AnnounceInterval = TimeSpan.FromSeconds(60) });
        Announce(registry, 1, infoHash: TrackerTestData.Other);
        _time.Advance(TimeSpan.FromSeconds(170));
        Assert.Equal(0, registry.ExpirePeers());
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(1, registry.ExpirePeers());
        Assert.Equal(1, registry.TorrentCount);
    }

    [Fact]
    public void Limits_RefuseNewPeersAndTorrentsPastThem()
    {
        SwarmRegistry registry = NewRegistry(new TrackerOptions { Open = true, MaxPeers = 2, MaxTorrents = 1 });
        Announce(registry, 1);
        Announce(registry, 2);
        Assert.Equal("the tracker has reached its peer limit", Announce(registry, 3)["failure reason"]!.ToString());
        Assert.Equal(15, Int(Announce(registry, 2), "interval"));
        Assert.Equal("the tracker has reached its torrent limit", Announce(registry, 9, infoHash: TrackerTestData.Other)["failure reason"]!.ToString());
    }

    [Fact]
    public void Scrape_ReportsCountsAndNamesSorted()
    {
        SwarmRegistry registry = NewRegistry(new TrackerOptions { Open = true });
        Announce(registry, 1, left: 0, extra: "&event=completed");
        Announce(registry, 2);
        Announce(registry, 3, infoHash: TrackerTestData.Other);

        _output.Reset();
        registry.Scrape(Span<Hash20>.Empty, _output);
        var files = (BDictionary)TrackerTestData.Decode(_output.Body)["files"]!;
        Assert.Equal(2, files.Count);
        var stats = (BDictionary)files.First(p => p.Key.Bytes.Span.SequenceEqual(TrackerTestData.Torrent.Bytes)).Value;
        Assert.Equal(1, Int(stats, "complete"));
        Assert.Equal(1, Int(stats, "incomplete"));
        Assert.Equal(1, Int(stats, "downloaded"));
        Assert.Equal("Deploy1.tgz", ((BString)stats["name"]!).Text);

        _output.Reset();
        Hash20[] asked = { Hash20.Read(TrackerTestData.Other.Bytes), Hash20.Read(TrackerTestData.Torrent.Bytes), Hash20.Read(TrackerTestData.Other.Bytes), Hash20.Read(new byte[20]) };
        registry.Scrape(asked, _output);
        Assert.Equal(2, ((BDictionary)TrackerTestData.Decode(_output.Body)["files"]!).Count);
    }
}
