using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Murder.Core.Hosting;

/// <summary>
/// Asks a process to stop (SIGTERM on Unix), so a background tracker saves its deploy ledgers and a
/// seeder closes its connections before it exits; Windows has no such signal for a detached process.
/// </summary>
internal static partial class ProcessSignal
{
    private const int SigTerm = 15;

    /// <summary>Sends SIGTERM; false where there is none (Windows) or the process is already gone.</summary>
    internal static bool TryTerminate(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            return Kill(process.Id, SigTerm) == 0;
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int processId, int signal);
}
