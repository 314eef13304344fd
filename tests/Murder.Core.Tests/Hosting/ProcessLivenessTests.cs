using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Murder.Core.Hosting;
using Xunit;

namespace Murder.Core.Tests.Hosting;

public sealed class ProcessLivenessTests
{
    [Fact]
    public void ThisProcess_Runs() =>
        Assert.False(ProcessLiveness.HasExited(Process.GetCurrentProcess()));

    [SkippableFact]
    public void AZombie_CountsAsExited()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "zombies are read from /proc (Linux)");
        // sh starts a short sleep in the background, then becomes a long sleep that never reaps it.
        using Process parent = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "sleep 0.1 & exec sleep 30" } })!;
        try
        {
            int child = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                string children = Path.Combine("/proc", parent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "task", parent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "children");
                child = File.Exists(children) ? File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).FirstOrDefault() : 0;
                if (child > 0 && ProcessLiveness.IsZombie(child))
                {
                    break;
                }

                Thread.Sleep(50);
            }

            Assert.True(child > 0, "the background sleep was not found");
            Assert.True(ProcessLiveness.IsZombie(child));
            using Process zombie = Process.GetProcessById(child);
            Assert.True(ProcessLiveness.HasExited(zombie));
            Assert.True(ProcessLiveness.WaitForExit(zombie, TimeSpan.FromSeconds(1)));
            Assert.False(ProcessLiveness.IsZombie(parent.Id));
        }
        finally
        {
            parent.Kill();
            parent.WaitForExit();
        }
    }
}
