using System;
using System.Diagnostics;
using System.Threading;

namespace Murder.Core.Tracker.Metrics;

/// <summary>
/// A cumulative latency histogram that costs two interlocked adds per observation and no lock, so
/// it can sit on the announce path. Buckets are compared in <see cref="Stopwatch"/> ticks.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>Upper bounds in seconds: an announce is answered in tens of microseconds, a full page in milliseconds.</summary>
    public static readonly double[] BoundsSeconds = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private static readonly long[] BoundsTicks = Array.ConvertAll(BoundsSeconds, static s => (long)Math.Ceiling(s * Stopwatch.Frequency));

    // One count per bucket plus +Inf, each not cumulative; cumulated when written.
    private readonly long[] _counts = new long[BoundsSeconds.Length + 1];
    private long _sumTicks;

    /// <summary>Records one request that took <paramref name="elapsedTicks"/> Stopwatch ticks.</summary>
    public void Observe(long elapsedTicks)
    {
        long[] bounds = BoundsTicks;
        int bucket = 0;
        while (bucket < bounds.Length && elapsedTicks > bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Add(ref _sumTicks, elapsedTicks);
    }

    /// <summary>Cumulative counts per bound (the last is +Inf, the total) and the sum in seconds.</summary>
    public (long[] Cumulative, double SumSeconds) Read()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            running += Volatile.Read(ref _counts[i]);
            cumulative[i] = running;
        }

        return (cumulative, Volatile.Read(ref _sumTicks) / (double)Stopwatch.Frequency);
    }
}
