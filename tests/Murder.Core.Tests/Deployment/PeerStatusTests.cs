using System;
using System.IO;
using Murder.Core.Deployment;
using Xunit;

namespace Murder.Core.Tests.Deployment;

public sealed class PeerStatusTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void AResult_RoundTripsThroughTheFile()
    {
        var result = new PeerRunResult
        {
            Tag = "web-1.2",
            Destination = "/srv/web/web-1.2",
            Bytes = 123_456_789,
            Duration = TimeSpan.FromSeconds(12.5),
            Rate = 9.5e6,
            PeersSeen = 7,
            BytesFromSeeders = 1000,
            BytesFromPeers = 2000,
            BytesResumed = 0,
            DownloadDuration = TimeSpan.FromSeconds(10),
            ExtractDuration = TimeSpan.FromSeconds(2.5),
            Files = 42,
            ArtifactPath = @"C:\Temp\web-1.2.tgz",
            InfoHash = "00112233445566778899aabbccddeeff00112233",
            VerifiedAtUtc = new DateTime(2026, 11, 25, 3, 0, 0, DateTimeKind.Utc),
        };
        string path = _work.Combine("status.json");

        PeerStatusFile.Write(path, new PeerStatus { Stage = PeerRunStage.Done, Result = result });
        PeerStatus? read = PeerStatusFile.Read(path);

        Assert.NotNull(read);
        Assert.True(read.IsFinal);
        Assert.Equal(PeerRunStage.Done, read.Stage);
        Assert.Equal(result, read.Result);
        Assert.Null(read.ToException());
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void TheWritersJson_IsTheReadersJson()
    {
        var status = new PeerStatus
        {
            Stage = PeerRunStage.Extracting,
            Statistics = new Murder.Core.Swarm.SwarmStatistics
            {
                PiecesHave = 9, PieceCount = 10, BytesHave = 900, TotalBytes = 1000, Downloaded = 5, Uploaded = 7, BytesFromSeeds = 2, BytesFromPeers = 3,
                BytesWasted = 1, ConnectedPeers = 3, PeersSeen = 4, HashFailures = 0, PeersBanned = 0, Elapsed = TimeSpan.FromSeconds(3), FirstPieceAfter = TimeSpan.FromSeconds(0.5),
            },
            Result = new PeerRunResult
            {
                Tag = "t", Destination = "/d", Bytes = 1, Duration = TimeSpan.FromSeconds(1.5), Rate = 2.5, PeersSeen = 3, BytesFromSeeders = 4, BytesFromPeers = 5,
                BytesResumed = 0, DownloadDuration = TimeSpan.FromSeconds(1), ExtractDuration = TimeSpan.FromSeconds(0.5), Files = 2, ArtifactPath = "/t/a.tgz",
                InfoHash = "00112233445566778899aabbccddeeff00112233", VerifiedAtUtc = new DateTime(2026, 11, 29, 0, 0, 0, DateTimeKind.Utc),
            },
        };

        string written = PeerStatusFile.ToJson(status);
        string reference = System.Text.Json.JsonSerializer.Serialize(status, PeerStatusJson.Default.PeerStatus);

        Assert.Equal(reference, written);
        Assert.Contains("\"Stage\":\"Extracting\"", written, StringComparison.Ordinal);
        Assert.Equal(status.Result, PeerStatusFile.FromJson(written)?.Result);
    }

    [Fact]
    public void AFailure_ComesBackAsTheSameError()
    {
        string path = _work.Combine("status.json");
        var error = new MurderException("DownloadStalled", MurderErrorCategory.OperationStopped, "no data arrived");

        PeerStatusFile.Write(path, PeerStatus.Failed(error));
        MurderException? read = PeerStatusFile.Read(path)?.ToException();

        Assert.NotNull(read);
        Assert.Equal("DownloadStalled", read.ErrorId);
        Assert.Equal(MurderErrorCategory.OperationStopped, read.Category);
        Assert.Equal("no data arrived", read.Message);
    }

    [Fact]
    public void AFinalStatus_GoesToTheFinalFileToo_AndOnlyAFinalOne()
    {
        string path = _work.Combine("status.json");
        var error = new MurderException("DownloadStalled", MurderErrorCategory.OperationStopped, "no data arrived");

        PeerStatusFile.WriteFinal(path, PeerStatus.Failed(error));

        Assert.Equal(path + ".final", PeerStatusFile.FinalPath(path));
        Assert.Equal("DownloadStalled", PeerStatusFile.Read(PeerStatusFile.FinalPath(path))?.ErrorId);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(PeerStatusFile.FinalPath(path)));
        Assert.Throws<ArgumentException>(() => PeerStatusFile.WriteFinal(_work.Combine("other.json"), new PeerStatus { Stage = PeerRunStage.Downloading }));
        Assert.False(File.Exists(_work.Combine("other.json.final")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"Stage\":")]
    [InlineData("not json")]
    public void ATornOrMissingFile_ReadsAsNoStatusYet(string content)
    {
        Assert.Null(PeerStatusFile.Read(_work.Combine("missing.json")));
        Assert.Null(PeerStatusFile.Read(_work.WriteFile("bad.json", content)));
    }
}
