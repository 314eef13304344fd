using System;
using System.Collections.Generic;
using Murder.Core.Tracker.Ledger;

namespace Murder.Core.Tracker.Metrics;

/// <summary>The deploy ledger in /metrics: reports by result, its size, and per deploy the hosts in each stage and the bytes.</summary>
internal static class LedgerMetrics
{
    public static void Write(PrometheusWriter writer, DeployLedgerRegistry ledgers)
    {
        const string Reports = "murder_tracker_reports_total";
        LedgerCounters counters = ledgers.Counters;
        writer.Family(Reports, "counter", "Deploy-ledger reports from peers, by result (ok, or why it was refused).")
            .Sample(Reports, ["result", "ok"], counters.Accepted)
            .Sample(Reports, ["result", "invalid"], counters.RefusedInvalid)
            .Sample(Reports, ["result", "forbidden"], counters.RefusedSwarmKey)
            .Sample(Reports, ["result", "unregistered"], counters.RefusedUnregistered)
            .Sample(Reports, ["result", "limit"], counters.RefusedFull);
        writer.Family("murder_ledger_deploys", "gauge", "Deploys (torrents) the ledger holds.")
            .Sample("murder_ledger_deploys", ledgers.DeployCount);
        writer.Family("murder_ledger_hosts", "gauge", "Host entries the ledger holds across every deploy.")
            .Sample("murder_ledger_hosts", ledgers.EntryCount);
        writer.Family("murder_ledger_deploys_evicted_total", "counter", "Deploys dropped from the ledger to stay within its bounds, oldest first.")
            .Sample("murder_ledger_deploys_evicted_total", counters.DeploysEvicted);

        List<DeploySummary> deploys = ledgers.Summaries();
        const string Hosts = "murder_deploy_hosts";
        writer.Family(Hosts, "gauge", "Hosts of a deploy in each stage, as they last reported.");
        foreach (DeploySummary deploy in deploys)
        {
            string hash = deploy.InfoHashHex;
            string name = deploy.Name ?? string.Empty;
            for (int stage = 0; stage < LedgerNames.StageCount; stage++)
            {
                writer.Sample(Hosts, ["info_hash", hash, "name", name, "stage", LedgerNames.Of((LedgerStage)stage)], deploy.Counts[stage]);
            }
        }

        WritePerDeploy(writer, deploys, "murder_deploy_size_bytes", "The deploy's artifact size in bytes.", static d => d.Size);
        WritePerDeploy(writer, deploys, "murder_deploy_downloaded_bytes", "Bytes of the artifact the deploy's hosts have verified, summed over hosts.", static d => d.Downloaded);
        WritePerDeploy(writer, deploys, "murder_deploy_rate_bytes_per_second", "The deploy's hosts' last reported download rates, summed, in bytes per second.", static d => d.Rate);
        WritePerDeploy(writer, deploys, "murder_deploy_last_report_timestamp_seconds", "When a host of the deploy last reported, since the Unix epoch in seconds.", static d => new DateTimeOffset(d.LastUtc, TimeSpan.Zero).ToUnixTimeMilliseconds() / 1000.0);
    }

    private static void WritePerDeploy(PrometheusWriter writer, List<DeploySummary> deploys, string name, string help, Func<DeploySummary, double> value)
    {
        writer.Family(name, "gauge", help);
        foreach (DeploySummary deploy in deploys)
        {
            writer.Sample(name, ["info_hash", deploy.InfoHashHex, "name", deploy.Name ?? string.Empty], value(deploy));
        }
    }
}
