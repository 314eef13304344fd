using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace Murder.Core.Hosting;

/// <summary>
/// Whether a process still runs, counting a zombie as gone. A background process whose parent has
/// exited is re-parented to PID 1; where that init does not reap (some containers and microVMs),
/// a killed process stays a zombie forever, which Process.HasExited reports as running.
/// </summary>
public static class ProcessLiveness
{
    /// <summary>Whether <paramref name="process"/> has exited or is a zombie.</summary>
    public static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited || IsZombie(process.Id);
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>Linux: whether /proc says the process is a zombie (or dead); false elsewhere or when unknown.</summary>
    public static bool IsZombie(int processId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            string stat = File.ReadAllText("/proc/" + processId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Waits until the process has exited or is a zombie; false on timeout.</summary>
    public static bool WaitForExit(Process process, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!HasExited(process))
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }
}
