using System;
using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Wait-MurderDeploy: re-attaches to a deploy from any machine that reaches its tracker, shows its
/// progress, and writes one result per host (with a non-terminating error for each failure) as
/// each finishes, until every host in the ledger has a result: seeding, done, failed, or lost
/// (silent past -HostLostSeconds). Hosts that had finished before it started are written at once.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "MurderDeploy")]
[OutputType(typeof(FleetPeerResult))]
public sealed class WaitMurderDeployCommand : MurderDeployCmdlet
{
    /// <summary>How long a host may go without a report before it ends as HostLost.</summary>
    [Parameter]
    [ValidateRange(5, 86_400)]
    public int HostLostSeconds { get; set; } = InvokeMurderPeerCommand.DefaultHostLostSeconds;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        using DeployLedgerClient ledger = OpenLedger();
        if (ResolveInfoHash(ledger) is not string infoHash)
        {
            return;
        }

        DeployLedgerPage first = Validate(() => ledger.ReadAsync(infoHash, long.MaxValue / 2, 1, Cancellation).GetAwaiter().GetResult());
        string tag = first.Deploy.Tag ?? Tag ?? infoHash;
        var follower = new FleetFollower(tag, TimeSpan.FromSeconds(HostLostSeconds), followUnlisted: true);
        var loop = new DeployFollowLoop(follower, ledger, infoHash, since: 0, $"Waiting for '{tag}' ({first.Deploy.Hosts} host{(first.Deploy.Hosts == 1 ? string.Empty : "s")})", TimeSpan.FromSeconds(1));
        if (first.Deploy.Hosts == 0)
        {
            WriteWarning($"No host has reported '{tag}' ({infoHash}) yet; nothing to wait for.");
            return;
        }

        loop.Run(null, result =>
        {
            WriteObject(result);
            if (DeployFollowLoop.ErrorOf(result) is ErrorRecord error)
            {
                WriteError(error);
            }
        }, WriteProgress, WriteWarning, Cancellation);
        if (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }
}
