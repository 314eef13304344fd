using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Get-MurderDeploy: a tracker's deploy ledger from any machine that reaches it: every deploy
/// (newest first), or with -InfoHash or -Tag one deploy's hosts, each with its stage, bytes, rate,
/// last report and error.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MurderDeploy")]
[OutputType(typeof(DeploySummary), typeof(DeployLedgerEntry))]
public sealed class GetMurderDeployCommand : MurderDeployCmdlet
{
    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        using DeployLedgerClient ledger = OpenLedger();
        if (InfoHash is null && Tag is null)
        {
            WriteObject(Validate(() => ledger.ListAsync(Cancellation).GetAwaiter().GetResult()).Deploys, enumerateCollection: true);
            return;
        }

        if (ResolveInfoHash(ledger) is string infoHash)
        {
            WriteObject(Validate(() => ledger.ReadAllAsync(infoHash, Cancellation).GetAwaiter().GetResult()), enumerateCollection: true);
        }
    }
}
