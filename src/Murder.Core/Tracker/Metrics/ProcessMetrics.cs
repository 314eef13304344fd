using System;
using System.Diagnostics;

namespace Murder.Core.Tracker.Metrics;

/// <summary>The process's CPU, memory and start time under the names every Prometheus client uses.</summary>
internal static class ProcessMetrics
{
    public static void Write(PrometheusWriter writer)
    {
        using Process self = Process.GetCurrentProcess();
        writer.Family("process_cpu_seconds_total", "counter", "User and system CPU time spent by the tracker process in seconds.")
            .Sample("process_cpu_seconds_total", self.TotalProcessorTime.TotalSeconds);
        writer.Family("process_resident_memory_bytes", "gauge", "Resident memory size of the tracker process in bytes.")
            .Sample("process_resident_memory_bytes", Environment.WorkingSet);
        writer.Family("process_start_time_seconds", "gauge", "Start time of the tracker process since the Unix epoch in seconds.")
            .Sample("process_start_time_seconds", new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
    }
}
