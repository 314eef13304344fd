using System;
using System.Collections.Generic;
using System.Threading;
using Murder.Core.Tracker.Ledger;

namespace Murder.Core.Tracker.Metrics;

/// <summary>
/// The tracker's counters and latency histograms, and /metrics rendered from them and from the
/// registry's current state. Counting is a few interlocked adds and takes no lock, so it stays on
/// the announce path; everything that grows with torrents is read only when /metrics is asked for.
/// </summary>
internal sealed class TrackerMetrics
{
    private static readonly string[] ResultNames = ["ok", "invalid", "forbidden", "unregistered", "limit"];
    private static readonly string[] RouteNames = ["announce", "scrape", "report", "deploy", "page", "metrics", "other"];

    private readonly long[] _announces = new long[ResultNames.Length];
    private readonly long[] _scrapes = new long[ResultNames.Length];
    private readonly LatencyHistogram[] _latency = Array.ConvertAll(RouteNames, static _ => new LatencyHistogram());

    public void CountAnnounce(AnnounceResult result) => Interlocked.Increment(ref _announces[(int)result]);

    public void CountScrape(AnnounceResult result) => Interlocked.Increment(ref _scrapes[(int)result]);

    /// <summary>Records how long a request took to answer, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public void Observe(RequestRoute route, long elapsedTicks) => _latency[(int)route].Observe(elapsedTicks);

    /// <summary>Everything /metrics shows, in the Prometheus text format.</summary>
    public PrometheusWriter Render(SwarmRegistry registry, DeployLedgerRegistry ledgers)
    {
        var writer = new PrometheusWriter();
        WriteResults(writer, "murder_tracker_announces_total", "Announces answered, by result (ok, or why it was refused).", _announces);
        WriteResults(writer, "murder_tracker_scrapes_total", "Scrapes answered, by result.", _scrapes);
        WriteLatency(writer);
        WriteSwarms(writer, registry);
        LedgerMetrics.Write(writer, ledgers);
        ProcessMetrics.Write(writer);
        return writer;
    }

    private static void WriteResults(PrometheusWriter writer, string name, string help, long[] counts)
    {
        writer.Family(name, "counter", help);
        for (int i = 0; i < counts.Length; i++)
        {
            writer.Sample(name, ["result", ResultNames[i]], Volatile.Read(ref counts[i]));
        }
    }

    private void WriteLatency(PrometheusWriter writer)
    {
        const string Name = "murder_tracker_request_duration_seconds";
        writer.Family(Name, "histogram", "Time from a whole request head to its whole response, by route, in seconds.");
        for (int route = 0; route < RouteNames.Length; route++)
        {
            (long[] cumulative, double sum) = _latency[route].Read();
            string routeName = RouteNames[route];
            for (int i = 0; i < LatencyHistogram.BoundsSeconds.Length; i++)
            {
                writer.Sample(Name + "_bucket", ["route", routeName, "le", LatencyHistogram.BoundsSeconds[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)], cumulative[i]);
            }

            writer.Sample(Name + "_bucket", ["route", routeName, "le", "+Inf"], cumulative[^1]);
            writer.Sample(Name + "_sum", ["route", routeName], sum);
            writer.Sample(Name + "_count", ["route", routeName], cumulative[^1]);
        }
    }

    private static void WriteSwarms(PrometheusWriter writer, SwarmRegistry registry)
    {
        List<SwarmSnapshot> swarms = registry.Snapshot();
        writer.Family("murder_tracker_torrents", "gauge", "Torrents the tracker knows (registered, or created by announces on an open tracker).")
            .Sample("murder_tracker_torrents", swarms.Count);
        writer.Family("murder_tracker_peers", "gauge", "Peers listed across all torrents.")
            .Sample("murder_tracker_peers", registry.PeerCount);
        WritePerSwarm(writer, swarms, "murder_torrent_peers", "gauge", "Peers listed for a torrent.", static s => s.Seeders + s.Leechers);
        WritePerSwarm(writer, swarms, "murder_torrent_seeders", "gauge", "Peers of a torrent that have all of it.", static s => s.Seeders);
        WritePerSwarm(writer, swarms, "murder_torrent_completed_total", "counter", "Downloads of a torrent completed since the tracker started.", static s => s.Completed);
    }

    private static void WritePerSwarm(PrometheusWriter writer, List<SwarmSnapshot> swarms, string name, string type, string help, Func<SwarmSnapshot, double> value)
    {
        writer.Family(name, type, help);
        foreach (SwarmSnapshot swarm in swarms)
        {
            writer.Sample(name, ["info_hash", swarm.InfoHash.ToHex(), "name", swarm.Name ?? string.Empty], value(swarm));
        }
    }
}
