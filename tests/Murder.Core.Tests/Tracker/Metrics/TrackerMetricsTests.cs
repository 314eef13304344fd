using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Metrics;
using Xunit;

namespace Murder.Core.Tests.Tracker.Metrics;

public sealed partial class TrackerMetricsTests
{

    // One sample line of the text format: name, optional {labels}, a value.
    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$""")]
    private static partial Regex CommentLine();

    private static (string Head, string Body) Get(LedgerTestClient client, string target, string host = "127.0.0.1:8998")
    {
        (_, string head, byte[] body) = client.Get(target, host);
        return (head, Encoding.UTF8.GetString(body));
    }

    /// <summary>Parses a whole exposition; fails on any line that is not HELP, TYPE or a sample of a declared family.</summary>
    internal static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        foreach (string line in text.TrimEnd('\n').Split('\n'))
        {
            Match comment = CommentLine().Match(line);
            if (comment.Success)
            {
                if (comment.Groups[1].Value == "TYPE")
                {
                    Assert.Contains(comment.Groups[3].Value, new[] { "counter", "gauge", "histogram" });
                    Assert.True(types.TryAdd(comment.Groups[2].Value, comment.Groups[3].Value), $"TYPE twice for {comment.Groups[2].Value}");
                }

                continue;
            }

            Match sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"not a sample line: {line}");
            string name = sample.Groups[1].Value;
            string family = types.ContainsKey(name) ? name : Regex.Replace(name, "_(bucket|sum|count)$", string.Empty);
            Assert.True(types.TryGetValue(family, out string? type), $"no TYPE before {line}");
            if (type == "counter")
            {
                Assert.EndsWith("_total", name, StringComparison.Ordinal);
            }

            double value = sample.Groups[3].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                string v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            Assert.True(samples.TryAdd(name + sample.Groups[2].Value, value), $"sample twice: {line}");
        }

        return samples;
    }

    private static TrackerEngine NewEngine()
    {
        var registry = new SwarmRegistry(new TrackerOptions(), new ManualTime());
        registry.Register(TrackerTestData.Torrent, "rel\"ease\\1\n.tgz");
        return new TrackerEngine(registry);
    }

    [Fact]
    public void Metrics_CountAnnouncesByResultAndListPeersPerTorrent()
    {
        using var client = new LedgerTestClient(NewEngine());
        Get(client, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 1, left: 0));
        Get(client, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 2));
        Get(client, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, 3));
        Get(client, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Other, 4));
        Get(client, "/announce?info_hash=%00");
        Get(client, "/scrape");

        (string head, string body) = Get(client, "/metrics");
        Assert.Contains("Content-Type: text/plain; version=0.0.4", head, StringComparison.Ordinal);
        Dictionary<string, double> samples = Parse(body);
        Assert.Equal(3, samples["murder_tracker_announces_total{result=\"ok\"}"]);
        Assert.Equal(1, samples["murder_tracker_announces_total{result=\"unregistered\"}"]);
        Assert.Equal(1, samples["murder_tracker_announces_total{result=\"invalid\"}"]);
        Assert.Equal(0, samples["murder_tracker_announces_total{result=\"forbidden\"}"]);
        Assert.Equal(1, samples["murder_tracker_scrapes_total{result=\"ok\"}"]);
        string labels = "{info_hash=\"" + TrackerTestData.Torrent.ToHex() + "\",name=\"rel\\\"ease\\\\1\\n.tgz\"}";
        Assert.Equal(3, samples["murder_torrent_peers" + labels]);
        Assert.Equal(1, samples["murder_torrent_seeders" + labels]);
        Assert.Equal(3, samples["murder_tracker_peers"]);
        Assert.Equal(1, samples["murder_tracker_torrents"]);
        Assert.Equal(5, samples["murder_tracker_request_duration_seconds_count{route=\"announce\"}"]);
        Assert.Equal(5, samples["murder_tracker_request_duration_seconds_bucket{route=\"announce\",le=\"+Inf\"}"]);
        Assert.True(samples["process_cpu_seconds_total"] > 0);
        Assert.True(samples["process_resident_memory_bytes"] > 1_000_000);
    }

    [Fact]
    public void Metrics_CountersOnlyGrowAndBucketsAreCumulative()
    {
        using var client = new LedgerTestClient(NewEngine());
        Dictionary<string, double> before = Parse(Get(client, "/metrics").Body);
        for (int i = 0; i < 20; i++)
        {
            Get(client, "/announce?" + TrackerTestData.AnnounceQuery(TrackerTestData.Torrent, i));
        }

        Dictionary<string, double> after = Parse(Get(client, "/metrics").Body);
        foreach ((string key, double value) in before.Where(p => p.Key.Contains("_total", StringComparison.Ordinal) || p.Key.Contains("_bucket", StringComparison.Ordinal) || p.Key.Contains("_count", StringComparison.Ordinal)))
        {
            Assert.True(after[key] >= value, $"{key} went from {value} to {after[key]}");
        }

        Assert.Equal(20, after["murder_tracker_announces_total{result=\"ok\"}"] - before["murder_tracker_announces_total{result=\"ok\"}"]);
        double previous = 0;
        foreach (double bound in LatencyHistogram.BoundsSeconds)
        {
            double count = after["murder_tracker_request_duration_seconds_bucket{route=\"announce\",le=\"" + bound.ToString("R", CultureInfo.InvariantCulture) + "\"}"];
            Assert.True(count >= previous);
            previous = count;
        }

        // The first /metrics request itself was timed by the time the second rendered.
        Assert.True(after["murder_tracker_request_duration_seconds_count{route=\"metrics\"}"] >= 1);
    }

    [Fact]
    public void Metrics_ShowTheLedgerOfAKnownDeploy()
    {
        using var client = new LedgerTestClient(NewEngine());
        Assert.Null(client.Report(TrackerTestData.Torrent, "seed1", "seeding", downloaded: 1000, left: 0, extra: "&role=seeder"));
        Assert.Null(client.Report(TrackerTestData.Torrent, "web1", "downloading", downloaded: 400, left: 600, rate: 300));
        Assert.Null(client.Report(TrackerTestData.Torrent, "web1", "done", downloaded: 1000, left: 0));
        Assert.Null(client.Report(TrackerTestData.Torrent, "web2", "done", downloaded: 1000, left: 0));
        Assert.Null(client.Report(TrackerTestData.Torrent, "web3", "downloading", downloaded: 250, left: 750, rate: 5000));
        Assert.Null(client.Report(TrackerTestData.Torrent, "web4", "failed", downloaded: 100, left: 900, extra: "&error_id=DiskFull&message=full"));
        Assert.NotNull(client.Report(TrackerTestData.Other, "web5", "starting"));
        Assert.NotNull(client.Report(TrackerTestData.Torrent, "web6", "sleeping"));

        Dictionary<string, double> samples = Parse(Get(client, "/metrics").Body);
        Assert.Equal(6, samples["murder_tracker_reports_total{result=\"ok\"}"]);
        Assert.Equal(1, samples["murder_tracker_reports_total{result=\"unregistered\"}"]);
        Assert.Equal(1, samples["murder_tracker_reports_total{result=\"invalid\"}"]);
        Assert.Equal(1, samples["murder_ledger_deploys"]);
        Assert.Equal(5, samples["murder_ledger_hosts"]);
        string labels = "info_hash=\"" + TrackerTestData.Torrent.ToHex() + "\",name=\"rel\\\"ease\\\\1\\n.tgz\"";
        Assert.Equal(2, samples["murder_deploy_hosts{" + labels + ",stage=\"done\"}"]);
        Assert.Equal(1, samples["murder_deploy_hosts{" + labels + ",stage=\"seeding\"}"]);
        Assert.Equal(1, samples["murder_deploy_hosts{" + labels + ",stage=\"downloading\"}"]);
        Assert.Equal(1, samples["murder_deploy_hosts{" + labels + ",stage=\"failed\"}"]);
        Assert.Equal(0, samples["murder_deploy_hosts{" + labels + ",stage=\"starting\"}"]);
        Assert.Equal(1000 + 1000 + 1000 + 250 + 100, samples["murder_deploy_downloaded_bytes{" + labels + "}"]);
        Assert.Equal(1000, samples["murder_deploy_size_bytes{" + labels + "}"]);
        Assert.Equal(8, samples["murder_tracker_request_duration_seconds_count{route=\"report\"}"]);
    }

    [Fact]
    public void Metrics_AreRefusedUnderAForeignHostName()
    {
        using var client = new LedgerTestClient(NewEngine());
        (string head, string body) = Get(client, "/metrics", host: "attacker.example");
        Assert.StartsWith("HTTP/1.1 403", head, StringComparison.Ordinal);
        Assert.DoesNotContain("murder_", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_PutsEachObservationInTheFirstBucketThatHoldsIt()
    {
        var histogram = new LatencyHistogram();
        histogram.Observe(0);
        histogram.Observe((long)(0.0003 * Stopwatch.Frequency));
        histogram.Observe(5 * Stopwatch.Frequency);
        (long[] cumulative, double sum) = histogram.Read();
        Assert.Equal(1, cumulative[0]);
        int at0005 = Array.IndexOf(LatencyHistogram.BoundsSeconds, 0.0005);
        Assert.Equal(1, cumulative[at0005 - 1]);
        Assert.Equal(2, cumulative[at0005]);
        Assert.Equal(2, cumulative[^2]);
        Assert.Equal(3, cumulative[^1]);
        Assert.InRange(sum, 5.0, 5.001);
    }

    [Fact]
    public void Writer_EscapesAndFormatsValues()
    {
        string text = new PrometheusWriter()
            .Family("murder_x", "gauge", "a \\ help\nline")
            .Sample("murder_x", ["a", "q\"b\\s\nn"], 1.5)
            .Sample("murder_x", ["a", "inf"], double.PositiveInfinity)
            .Sample("murder_x", ["a", "big"], 12345678901)
            .ToString();
        Assert.Equal(
            "# HELP murder_x a \\\\ help\\nline\n# TYPE murder_x gauge\nmurder_x{a=\"q\\\"b\\\\s\\nn\"} 1.5\nmurder_x{a=\"inf\"} +Inf\nmurder_x{a=\"big\"} 12345678901\n",
            text);
    }
}
