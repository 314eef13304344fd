using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Hosting;
using Murder.Core.Tracker;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Stop-MurderTracker: stops the trackers Start-MurderTracker recorded (all of them, or those on
/// -Port). Nothing to stop is a warning, never an error (Murder's pkill failed the deploy).
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "MurderTracker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class StopMurderTrackerCommand : MurderFleetCmdlet
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);
    private readonly List<int> _ports = new();
    private bool _all;
    private bool _remote;

    /// <summary>The ports of the trackers to stop; every recorded tracker when left out.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int[]? Port { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (QueueRemote("Stop Murder trackers"))
        {
            _remote = true;
            return;
        }

        if (Port is null)
        {
            _all = true;
        }
        else
        {
            _ports.AddRange(Port);
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (_remote)
        {
            base.EndProcessing();
            return;
        }

        BackgroundProcessStore store = BackgroundProcessStore.Default();
        IReadOnlyList<BackgroundProcessRecord> records = store.List(TrackerProcess.Kind);
        IEnumerable<BackgroundProcessRecord> chosen = _all ? records : records.Where(r => r.Port is int p && _ports.Contains(p));
        bool any = false;
        foreach (BackgroundProcessRecord record in chosen)
        {
            any = true;
            if (!BackgroundProcessStore.IsRunning(record))
            {
                store.Remove(record.Kind, record.Name, record.ProcessId);
                WriteWarning($"The tracker on port {record.Port} (process {record.ProcessId}) was not running; its record was removed.");
                continue;
            }

            if (!ShouldProcess($"tracker on port {record.Port} (process {record.ProcessId})", "Stop"))
            {
                continue;
            }

            try
            {
                if (store.Stop(record, ExitTimeout))
                {
                    WriteVerbose($"Stopped the tracker on port {record.Port} (process {record.ProcessId}).");
                }
                else
                {
                    WriteWarning($"The tracker on port {record.Port} had already stopped.");
                }
            }
            catch (MurderException error)
            {
                WriteError(ToErrorRecord(error));
            }
        }

        if (_all && !any)
        {
            WriteWarning("No Murder tracker is running; nothing to stop.");
        }

        foreach (int port in _ports.Distinct().Where(p => !records.Any(r => r.Port == p)))
        {
            WriteWarning($"No Murder tracker is recorded on port {port}; nothing to stop.");
        }
    }
}
