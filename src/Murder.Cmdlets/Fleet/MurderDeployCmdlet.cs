using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Fleet;

/// <summary>
/// The base of the cmdlets that read a tracker's deploy ledger from any machine that reaches it:
/// the tracker from -Tracker, else from the fleet configuration (TrackerHost, else the seeder, and
/// TrackerPort); the deploy by -InfoHash, else the newest deploy of -Tag.
/// </summary>
public abstract class MurderDeployCmdlet : MurderCmdlet
{
    /// <summary>The tracker: HOST:PORT, [IPv6]:PORT or its announce URL; from the configuration when left out.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Tracker { get; set; }

    /// <summary>The fleet configuration that names the tracker; ./murder.psd1 when it exists.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <summary>The deploy's info-hash (40 hexadecimal digits).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[0-9A-Fa-f]{40}$")]
    public string? InfoHash { get; set; }

    /// <summary>The deploy tag: the newest deploy of this tag.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Tag { get; set; }

    /// <summary>The ledger of the tracker named by -Tracker or the configuration.</summary>
    internal DeployLedgerClient OpenLedger()
    {
        string? tracker = Tracker;
        if (tracker is null)
        {
            string? path = ConfigPath is not null
                ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(ConfigPath)
                : Path.Combine(SessionState.Path.CurrentFileSystemLocation.ProviderPath, FleetConfigurationFile.DefaultFileName);
            if (ConfigPath is not null || File.Exists(path))
            {
                FleetConfiguration config = Validate(() => FleetConfigurationFile.Read(path));
                if (config.Tracker() is FleetHost host)
                {
                    tracker = (host.Name.Contains(':', StringComparison.Ordinal) ? $"[{host.Name}]" : host.Name) + ":" + config.TrackerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        if (tracker is null)
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("TrackerNotGiven", MurderErrorCategory.InvalidArgument, "Name the tracker: -Tracker HOST:PORT, or TrackerHost (or Peers) and TrackerPort in murder.psd1.")));
        }

        return Validate(() => DeployLedgerClient.ForTracker(tracker!));
    }

    /// <summary>The deploy asked for: -InfoHash, else the newest deploy of -Tag, else the newest deploy; null when the ledger holds none.</summary>
    internal string? ResolveInfoHash(DeployLedgerClient ledger)
    {
        if (InfoHash is not null)
        {
            return InfoHash.ToLowerInvariant();
        }

        DeployList list = Validate(() => ledger.ListAsync(Cancellation).GetAwaiter().GetResult());
        DeploySummary? deploy = Tag is null ? (list.Deploys.Count > 0 ? list.Deploys[0] : null) : list.Deploys.FirstOrDefault(d => string.Equals(d.Tag, Tag, StringComparison.OrdinalIgnoreCase));
        if (deploy is null)
        {
            WriteError(ToErrorRecord(new MurderException("DeployNotFound", MurderErrorCategory.ObjectNotFound, Tag is null ? $"The tracker's ledger ({ledger.DeployUrl}) holds no deploy yet." : $"The tracker's ledger ({ledger.DeployUrl}) holds no deploy of '{Tag}'. List its deploys with Get-MurderDeploy.") { TargetObject = Tag }));
        }

        return deploy?.InfoHash;
    }
}
