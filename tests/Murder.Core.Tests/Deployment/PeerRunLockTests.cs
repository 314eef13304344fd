using System;
using System.Diagnostics;
using System.IO;
using Murder.Core.Deployment;
using Murder.Core.Hosting;
using Xunit;

namespace Murder.Core.Tests.Deployment;

public sealed class PeerRunLockTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private PeerRunRequest Request(string tag) => new()
    {
        Tag = tag,
        TorrentPath = _temp.Combine("tmp", tag + ".tgz.torrent"),
        TempPath = _temp.Combine("tmp"),
        DestinationPath = _temp.Combine("srv"),
        StateDirectory = _temp.Combine("state"),
    };

    [Fact]
    public void A_second_run_of_a_tag_in_the_same_temp_directory_is_refused_until_the_first_ends()
    {
        PeerRunRequest request = Request("T1");
        using (PeerRunLock first = PeerRunLock.Acquire(request))
        {
            Assert.StartsWith(_temp.Combine("state", "locks", "peer-T1-"), first.Path, StringComparison.Ordinal);
            Assert.True(File.Exists(first.Path));
            MurderException refused = Assert.Throws<MurderException>(() => PeerRunLock.Acquire(request));
            Assert.Equal("PeerAlreadyRunning", refused.ErrorId);
            Assert.Contains("'T1'", refused.Message, StringComparison.Ordinal);
            Assert.Equal("PeerAlreadyRunning", Assert.Throws<MurderException>(() => PeerRunLock.EnsureFree(request)).ErrorId);

            // The launcher refuses before it starts anything (this agent executable does not exist).
            var agent = AgentHost.Native(_temp.Combine("no-such-agent"));
            Assert.Equal("PeerAlreadyRunning", Assert.Throws<MurderException>(() => PeerLaunch.Start(new BackgroundProcessStore(_temp.Combine("state")), agent, request, 0, DateTime.UtcNow)).ErrorId);

            // Another tag, or the same tag with another temp directory, is another run.
            using PeerRunLock other = PeerRunLock.Acquire(Request("T2"));
            using PeerRunLock elsewhere = PeerRunLock.Acquire(request with { TempPath = _temp.Combine("tmp2") });
        }

        // Nothing is left behind: not in the state directory, and nothing ever in the temp directory.
        Assert.Empty(Directory.GetFiles(_temp.Combine("state", "locks")));
        Assert.False(Directory.Exists(request.TempPath));
        using PeerRunLock again = PeerRunLock.Acquire(request);
        PeerRunLock.EnsureFree(Request("T3"));
    }

    [SkippableFact]
    public void A_lock_held_by_another_process_refuses_and_is_free_once_that_process_is_gone()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/usr/bin/flock"), "holds the lock from another process with util-linux flock (Linux)");
        // --no-fork: flock becomes the sleeping process, so killing it releases the lock at once.
        PeerRunRequest request = Request("T1");
        string path = PeerRunLock.PathOf(request);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
        using Process holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["--exclusive", "--nonblock", "--no-fork", path, "sleep", "60"]))!;
        try
        {
            var clock = Stopwatch.StartNew();
            MurderException? refused = null;
            while (refused is null && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                try
                {
                    PeerRunLock.EnsureFree(request); // flock may not hold it yet
                    System.Threading.Thread.Sleep(50);
                }
                catch (MurderException error)
                {
                    refused = error;
                }
            }

            Assert.Equal("PeerAlreadyRunning", refused?.ErrorId);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit(10_000);
        }

        // A process that ends, however it ends, leaves nothing to clean.
        using (PeerRunLock.Acquire(request))
        {
        }

        Assert.False(File.Exists(path));
    }
}
