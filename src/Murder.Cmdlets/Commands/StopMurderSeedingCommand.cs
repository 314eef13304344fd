using System;
using System.Linq;
using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Hosting;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Stop-MurderSeeding: stops the seeder of a tag, or every seeder with -All (Murder's stop_seeding
/// and stop_all_seeding). Nothing to stop is a warning, never an error.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "MurderSeeding", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = TagSet)]
public sealed class StopMurderSeedingCommand : MurderFleetCmdlet
{
    private const string TagSet = "Tag";
    private const string AllSet = "All";

    /// <summary>The deploy tag whose seeder stops.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = TagSet)]
    public string Tag { get; set; } = string.Empty;

    /// <summary>Stop every seeder on this machine.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (QueueRemote("Stop seeding"))
        {
            return;
        }

        BackgroundProcessStore store = BackgroundProcessStore.Default();
        var records = store.List(SeedingProcess.SeederKind)
            .Where(record => All || SeedingProcess.TagOf(record) == Tag)
            .ToList();
        if (records.Count == 0)
        {
            WriteWarning(All ? "No seeder is running on this machine." : $"No seeder is running for '{Tag}'.");
            return;
        }

        foreach (BackgroundProcessRecord record in records)
        {
            if (ShouldProcess($"process {record.ProcessId}", $"Stop seeding '{SeedingProcess.TagOf(record)}'")
                && !Validate(() => store.Stop(record, TimeSpan.FromSeconds(15))))
            {
                WriteWarning($"The seeder of '{SeedingProcess.TagOf(record)}' (process {record.ProcessId}) had already stopped.");
            }
        }
    }
}
