using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Deployment;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Tests.Swarm;
using Xunit;

namespace Murder.Core.Tests.Deployment;

public sealed class SeedingHostTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task StartAsync_RecordsTheProcess_AndRemovesTheRecordWhenDisposed()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(100_000, 16_384);
        var store = new BackgroundProcessStore(_work.Combine("state"));
        SeedingHostRequest request = Request(torrent, _work.WriteFile("a.tgz", data)) with { SeedFor = TimeSpan.FromMilliseconds(200) };

        await using (SeedingHost host = await SeedingHost.StartAsync(store, request, null, CancellationToken.None))
        {
            BackgroundProcessRecord? record = store.Get(SeedingProcess.PeerKind, SeedingProcess.NameOf(SeedingProcess.PeerKind, "Web", host.Record.Port!.Value));
            Assert.NotNull(record);
            Assert.Equal(Environment.ProcessId, record.ProcessId);
            Assert.Equal(torrent.InfoHash.ToHex(), host.Info.InfoHash);

            // Returns by itself once the time is up.
            await host.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Empty(store.List(SeedingProcess.PeerKind));
    }

    [Fact]
    public async Task StartAsync_RefusesAnArtifactThatDoesNotMatch_WhenItsStampChanged()
    {
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(100_000, 16_384);
        string artifact = _work.WriteFile("a.tgz", data);
        ArtifactStamp stamp = ArtifactStamp.Of(artifact);
        data[50_000] ^= 0xff;
        File.WriteAllBytes(artifact, data);
        File.SetLastWriteTimeUtc(artifact, new DateTime(stamp.LastWriteTicksUtc, DateTimeKind.Utc).AddSeconds(1));
        var store = new BackgroundProcessStore(_work.Combine("state"));

        MurderException error = await Assert.ThrowsAsync<MurderException>(() => SeedingHost.StartAsync(store, Request(torrent, artifact) with { VerifiedArtifact = stamp }, null, CancellationToken.None));

        Assert.Equal("ArtifactMismatch", error.ErrorId);
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task StartAsync_TrustsAVerifiedStamp_WithoutReadingTheArtifact()
    {
        // The peer handing over verified every piece; the file still has the stamp it took, so the
        // check is skipped. (Proved with a file whose content no longer matches but whose stamp was
        // put back: a check would refuse it.)
        (TorrentMetaInfo torrent, byte[] data) = SwarmTestData.Make(100_000, 16_384);
        string artifact = _work.WriteFile("a.tgz", data);
        DateTime written = File.GetLastWriteTimeUtc(artifact);
        ArtifactStamp stamp = ArtifactStamp.Of(artifact);
        data[50_000] ^= 0xff;
        File.WriteAllBytes(artifact, data);
        File.SetLastWriteTimeUtc(artifact, written);
        var store = new BackgroundProcessStore(_work.Combine("state"));
        int checkedPieces = 0;

        await using SeedingHost host = await SeedingHost.StartAsync(store, Request(torrent, artifact) with { VerifiedArtifact = stamp }, new Progress<int>(n => checkedPieces = n), CancellationToken.None);

        Assert.Equal(0, checkedPieces);
        Assert.Single(store.List(SeedingProcess.PeerKind));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("12:x")]
    [InlineData("-1:5")]
    [InlineData("1:2:3")]
    public void ArtifactStamp_Parse_RejectsMalformedText(string text) => Assert.Null(ArtifactStamp.Parse(text));

    [Fact]
    public void ArtifactStamp_RoundTrips_AndStopsMatchingWhenTheFileChanges()
    {
        string artifact = _work.WriteFile("a.tgz", new byte[] { 1, 2, 3 });
        ArtifactStamp stamp = ArtifactStamp.Of(artifact);

        Assert.Equal(stamp, ArtifactStamp.Parse(stamp.ToString()));
        Assert.True(stamp.Matches(artifact));
        File.WriteAllBytes(artifact, new byte[] { 1, 2, 3, 4 });
        Assert.False(stamp.Matches(artifact));
        Assert.False(stamp.Matches(_work.Combine("missing.tgz")));
    }

    private static SeedingHostRequest Request(TorrentMetaInfo torrent, string artifact) => new()
    {
        Kind = SeedingProcess.PeerKind,
        Tag = "Web",
        Torrent = torrent,
        TorrentPath = artifact + ".torrent",
        ArtifactPath = artifact,
    };
}
