using System;
using System.Collections.Generic;
using System.Globalization;

namespace Murder.Sim;

/// <summary>The printed form of a result: a few readable lines, then one line of key=value pairs.</summary>
public static class Report
{
    /// <summary>The lines to print for a result.</summary>
    public static IEnumerable<string> Lines(SimulationResult result)
    {
        SimulationOptions options = result.Options;
        string f = options.Size % (1024 * 1024) == 0 ? $"{options.Size / (1024 * 1024)}MiB" : $"{options.Size}B";
        string c = $"{options.RateBitsPerSecond / 1e6:0.###}Mbit";
        yield return Invariant($"N={options.Peers} F={f} C={c} latency={options.Latency.TotalMilliseconds:0.###}ms payload={options.WireEfficiency * 100:0.#}% spread={options.LaunchSpread.TotalSeconds:0.###}s slow={options.SlowShare * 100:0.#}%(x1/{options.SlowFactor:0.#}) die={options.DieShare * 100:0.#}% seeder-dies={options.SeederDies} seed={options.Seed} piece={result.PieceLength / 1024}KiB block={options.BlockLength / 1024}KiB");
        yield return Invariant($"T_min={result.FluidBound.TotalSeconds:0.000}s completion/T_min: p50={result.P50:0.000} p90={result.P90:0.000} p99={result.P99:0.000} last={result.Last:0.000} (fast peers {result.Finished}/{result.Alive} finished; the last at {result.LastFromStartSeconds:0.000}s from the start)");
        if (result.SlowAlive > 0)
        {
            yield return Invariant($"slow peers: {result.SlowFinished}/{result.SlowAlive} finished, last={result.SlowLast:0.000} x T_min");
        }

        yield return Invariant($"seeder upload/F={result.SeederUpload:0.000} received/(N*F)={result.Received:0.0000} died={result.Died} announces={result.Announces} ({result.AnnouncesPerSecond:0.0}/s at the tracker)");
        yield return Invariant($"virtual={result.VirtualTime.TotalSeconds:0.000}s events={result.Events:N0} wall={result.WallTime.TotalSeconds:0.0}s peak={result.PeakMemoryBytes / (1024.0 * 1024):0}MiB digest={result.Digest}");
        yield return Invariant($"sim N={options.Peers} F={f} C={c} p50={result.P50:0.00} p90={result.P90:0.00} p99={result.P99:0.00} last={result.Last:0.00} seeder={result.SeederUpload:0.00} received={result.Received:0.000} finished={result.Finished + result.SlowFinished}/{result.Alive + result.SlowAlive} slowlast={result.SlowLast:0.00} announces/s={result.AnnouncesPerSecond:0.0} wall={result.WallTime.TotalSeconds:0.0}s peak={result.PeakMemoryBytes / (1024 * 1024)}MiB");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
