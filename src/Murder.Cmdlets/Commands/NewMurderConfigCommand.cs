using System.IO;
using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Commands;

/// <summary>New-MurderConfig: writes a commented murder.psd1 with the given values and the defaults.</summary>
[Cmdlet(VerbsCommon.New, "MurderConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class NewMurderConfigCommand : MurderCmdlet
{
    /// <summary>The file to write; ./murder.psd1 by default.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = FleetConfigurationFile.DefaultFileName;

    /// <summary>Every server that receives releases.</summary>
    [Parameter]
    public string[]? Peers { get; set; }

    /// <summary>The seeder; the first peer when left out.</summary>
    [Parameter]
    public string? SeederHost { get; set; }

    /// <summary>The tracker; the seeder when left out.</summary>
    [Parameter]
    public string? TrackerHost { get; set; }

    /// <summary>The SSH user.</summary>
    [Parameter]
    public string? User { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        var values = new System.Collections.Generic.Dictionary<string, object?>
        {
            ["Peers"] = Peers,
            ["SeederHost"] = SeederHost,
            ["TrackerHost"] = TrackerHost,
            ["User"] = User,
        };
        FleetConfiguration config = Validate(() => FleetConfiguration.FromValues(values, "New-MurderConfig"));
        if (File.Exists(path) && !Force)
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("ConfigurationExists", MurderErrorCategory.ResourceExists, $"'{path}' exists; give -Force to overwrite it.") { TargetObject = path }));
        }

        if (ShouldProcess(path, "Write a Murder fleet configuration"))
        {
            File.WriteAllText(path, FleetConfigurationTemplate.Render(config));
            WriteObject(new FileInfo(path));
        }
    }
}
