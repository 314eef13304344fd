using System;
using System.Collections.Generic;
using System.Diagnostics;
using Murder.Core.Hosting;
using Xunit;

namespace Murder.Core.Tests.Hosting;

public sealed class BackgroundProcessStoreTests : IDisposable
{
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly TempDirectory _state = new();

    public void Dispose() => _state.Dispose();

    [Fact]
    public void Records_RoundTripAndList()
    {
        var store = new BackgroundProcessStore(_state.Path);
        BackgroundProcessRecord self = BackgroundProcessStore.ForCurrentProcess("tracker", "8998") with
        {
            Url = "http://h:8998/announce",
            Port = 8998,
            Properties = new Dictionary<string, string> { ["TorrentDirectory"] = "/x" },
        };
        store.Save(self);
        store.Save(BackgroundProcessStore.ForCurrentProcess("seeder", "web-1.2"));

        BackgroundProcessRecord? read = store.Get("tracker", "8998");
        Assert.NotNull(read);
        Assert.Equal(self.ProcessId, read.ProcessId);
        Assert.Equal(self.ProcessStartTimeUtc, read.ProcessStartTimeUtc);
        Assert.Equal("/x", read.Properties["TorrentDirectory"]);
        Assert.Single(store.List("tracker"));
        Assert.Equal(2, store.List().Count);
        Assert.True(BackgroundProcessStore.IsRunning(read));

        store.Remove("tracker", "8998", processId: self.ProcessId + 1);
        Assert.NotNull(store.Get("tracker", "8998"));
        store.Remove("tracker", "8998");
        Assert.Null(store.Get("tracker", "8998"));
    }

    [Fact]
    public void Records_KeepTheirFileFormat_AndOldFilesStillRead()
    {
        var store = new BackgroundProcessStore(_state.Path);
        BackgroundProcessRecord record = BackgroundProcessStore.ForCurrentProcess("peer", "web-8001") with
        {
            Port = 8001,
            LogPath = "/var/log/x.log",
            Properties = new Dictionary<string, string> { ["Tag"] = "web" },
        };
        store.Save(record);

        // What the reflection serializer wrote before the generated one: the same text, both ways.
        string before = System.Text.Json.JsonSerializer.Serialize(record, Indented);
        Assert.Equal(before, System.IO.File.ReadAllText(store.RecordPath("peer", "web-8001")));
        System.IO.File.WriteAllText(store.RecordPath("peer", "old-1"), before);
        Assert.Equal(record.ProcessStartTimeUtc, store.Get("peer", "old-1")?.ProcessStartTimeUtc);
        Assert.Equal("web", store.Get("peer", "old-1")?.Properties["Tag"]);
    }

    [Fact]
    public void IsRunning_GuardsAgainstReusedProcessIds()
    {
        BackgroundProcessRecord self = BackgroundProcessStore.ForCurrentProcess("peer", "x");
        Assert.False(BackgroundProcessStore.IsRunning(self with { ProcessStartTimeUtc = self.ProcessStartTimeUtc.AddMinutes(-5) }));
    }

    [Fact]
    public void Stop_OfAGoneProcessRemovesTheStaleRecord()
    {
        var store = new BackgroundProcessStore(_state.Path);
        using Process exited = Process.Start(new ProcessStartInfo(OperatingSystem.IsWindows() ? "cmd.exe" : "/bin/true") { ArgumentList = { } })!;
        exited.WaitForExit();
        var record = new BackgroundProcessRecord { Kind = "tracker", Name = "1", ProcessId = exited.Id, ProcessStartTimeUtc = DateTime.UtcNow };
        store.Save(record);
        Assert.False(store.Stop(record, TimeSpan.FromSeconds(5)));
        Assert.Null(store.Get("tracker", "1"));
    }

    [Fact]
    public void Stop_KillsTheRecordedProcess()
    {
        var store = new BackgroundProcessStore(_state.Path);
        using Process sleeper = Process.Start(new ProcessStartInfo("sleep") { ArgumentList = { "60" } })!;
        try
        {
            var record = new BackgroundProcessRecord { Kind = "peer", Name = "sleep", ProcessId = sleeper.Id, ProcessStartTimeUtc = sleeper.StartTime.ToUniversalTime() };
            store.Save(record);
            Assert.True(store.Stop(record, TimeSpan.FromSeconds(10)));
            Assert.True(sleeper.HasExited);
            Assert.Null(store.Get("peer", "sleep"));
        }
        finally
        {
            if (!sleeper.HasExited)
            {
                sleeper.Kill();
            }
        }
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData(".hidden")]
    public void Names_MustBeSafeFileNames(string name) =>
        Assert.Equal("InvalidProcessName", Assert.Throws<MurderException>(() => new BackgroundProcessStore(_state.Path).RecordPath("tracker", name)).ErrorId);

    [Fact]
    public void StateDirectory_HonoursTheEnvironmentVariable()
    {
        string? saved = Environment.GetEnvironmentVariable(MurderStateDirectory.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(MurderStateDirectory.EnvironmentVariable, _state.Path);
            Assert.Equal(_state.Path, MurderStateDirectory.Resolve());
            Environment.SetEnvironmentVariable(MurderStateDirectory.EnvironmentVariable, null);
            Assert.EndsWith(OperatingSystem.IsWindows() ? "Murder" : "murder", MurderStateDirectory.Resolve(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MurderStateDirectory.EnvironmentVariable, saved);
        }
    }
}
