using System;
using System.Linq;
using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core.Deployment;
using Murder.Core.Hosting;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Stop-MurderPeering: ends peers still seeding after their download (Murder's stop_peering and
/// stop_all_peering), by their recorded process ids. Nothing to stop is a warning, never an error.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "MurderPeering", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
public sealed class StopMurderPeeringCommand : MurderFleetCmdlet
{
    /// <summary>Stop only the lingering peers of this tag.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Tag { get; set; }

    /// <summary>Stop every lingering peer on this machine (also the default when no tag is given).</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (QueueRemote("Stop lingering peers"))
        {
            return;
        }

        BackgroundProcessStore store = BackgroundProcessStore.Default();
        bool every = All || string.IsNullOrEmpty(Tag);
        var records = store.List(SeedingProcess.PeerKind)
            .Where(record => every || SeedingProcess.TagOf(record) == Tag)
            .ToList();
        if (records.Count == 0)
        {
            WriteWarning(every ? "No lingering peer is running on this machine." : $"No lingering peer is running for '{Tag}'.");
            return;
        }

        foreach (BackgroundProcessRecord record in records)
        {
            if (ShouldProcess($"process {record.ProcessId}", $"Stop the lingering peer of '{SeedingProcess.TagOf(record)}'"))
            {
                Validate(() => store.Stop(record, TimeSpan.FromSeconds(15)));
            }
        }
    }
}
