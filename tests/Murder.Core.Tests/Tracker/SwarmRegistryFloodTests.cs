using System;
using System.Net;
using System.Text;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Xunit;

namespace Murder.Core.Tests.Tracker;

/// <summary>
/// Bounds the registry's memory under a flood of unknown torrents. GC.GetTotalMemory counts the whole process,
/// so this runs alone: in parallel with the rest of the suite it once measured other tests' 231 MB.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class SwarmRegistryFloodTests : IDisposable
{
    private readonly ManualTime _time = new();
    private readonly ResponseBuilder _output = new();

    public void Dispose() => _output.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Flood_of_random_info_hashes_keeps_state_and_memory_bounded(bool open)
    {
        var registry = new SwarmRegistry(new TrackerOptions { Open = open, MaxTorrents = 1000 }, _time);
        registry.Register(TrackerTestData.Torrent, "Deploy1.tgz");
        var random = new Random(11);
        byte[] hash = new byte[20];
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int index = 0; index < 100_000; index++)
        {
            random.NextBytes(hash);
            Announce(registry, index % 5000, new InfoHash(hash));
        }

        long growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.Equal(open ? 1000 : 1, registry.TorrentCount); // closed: only the torrent registered up front
        Assert.True(growth < 64L * 1024 * 1024, $"state grew by {growth:N0} bytes");
        GC.KeepAlive(registry);
    }

    private void Announce(SwarmRegistry registry, int peer, InfoHash infoHash)
    {
        _output.Reset();
        string? parseError = TrackerQueryParser.ParseAnnounce(Encoding.ASCII.GetBytes(TrackerTestData.AnnounceQuery(infoHash, peer, 100, null)), out AnnounceRequest request);
        Assert.Null(parseError);
        string? failure = registry.Announce(request, PeerAddress.From(IPAddress.Parse("10.0.0.1")), _output);
        if (failure is not null)
        {
            _output.WriteFailure(failure);
        }
    }
}
