using System;
using System.Threading;

namespace Murder.Core.Fleet;

/// <summary>
/// Lets the thread pool start as many threads as a fleet operation has concurrent SSH connections,
/// at once, for as long as it runs. SSH.NET still blocks a pool thread in parts of its connect and
/// channel set-up; with the default minimum (one thread per core) the pool adds threads slowly and
/// a fleet's launches went out two at a time: on the 2-core test rig the slowest of 32 hosts started
/// 1.65 to 22.6 s after the call (4 runs), 1.05 to 1.61 s with the threads there.
/// </summary>
public sealed class ThreadPoolReserve : IDisposable
{
    private static readonly object Gate = new();
    private static int _raised;
    private static int _savedWorkers;
    private static int _savedPorts;
    private bool _disposed;

    private ThreadPoolReserve()
    {
    }

    /// <summary>Raises the pool's minimum to at least <paramref name="threads"/> worker threads until disposed.</summary>
    public static ThreadPoolReserve Raise(int threads)
    {
        lock (Gate)
        {
            ThreadPool.GetMinThreads(out int workers, out int ports);
            if (_raised++ == 0)
            {
                (_savedWorkers, _savedPorts) = (workers, ports);
            }

            int wanted = Math.Min(Math.Max(threads, 0) + _savedWorkers, 1024 + _savedWorkers);
            if (wanted > workers)
            {
                ThreadPool.SetMinThreads(wanted, ports);
            }
        }

        return new ThreadPoolReserve();
    }

    /// <summary>Puts the minimum back once the last reserve ends.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (--_raised == 0)
            {
                ThreadPool.SetMinThreads(_savedWorkers, _savedPorts);
            }
        }
    }
}
