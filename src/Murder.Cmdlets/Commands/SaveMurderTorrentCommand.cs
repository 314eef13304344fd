using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Save-MurderTorrent: copies TEMP/TAG.tgz.torrent from the seeder to this machine (Murder's
/// download_torrent), where Invoke-MurderPeer -ComputerName finds it.
/// </summary>
[Cmdlet(VerbsData.Save, "MurderTorrent", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class SaveMurderTorrentCommand : MurderFleetCmdlet
{
    private readonly List<FleetJob> _jobs = new();

    /// <summary>The deploy tag; DefaultTag from the configuration when left out.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Tag { get; set; }

    /// <summary>The directory on this machine to save into; this machine's TempPath (from the configuration, else /tmp on Linux and the system temp directory elsewhere) by default.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    /// <summary>The directory on the seeder that holds TAG.tgz.torrent; TempPath from the configuration by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TempPath { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string tag = Validate(() => DeployTag.Validate(Tag ?? Configuration.DefaultTag));
        string directory = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutputDirectory ?? Configuration.LocalTempPath());
        FleetTarget? seeder = IsRemote ? First(RequestedTargets()) : Configuration.Seeder() is FleetHost host ? FleetTarget.For(host) : null;
        if (seeder is null)
        {
            if (!IsRemote)
            {
                ThrowTerminatingError(ToErrorRecord(new MurderException("NoHosts", MurderErrorCategory.InvalidArgument, "No seeder: give -ComputerName or -Session, or set SeederHost or Peers in murder.psd1.")));
            }

            return;
        }

        string remote = RemotePath.Combine(TempPath ?? Configuration.TempPath, DeployTag.TorrentFileName(tag));
        string local = Path.Combine(directory, DeployTag.TorrentFileName(tag));
        if (!ShouldProcess(local, $"Copy {remote} from {seeder.ComputerName}"))
        {
            return;
        }

        Directory.CreateDirectory(directory);
        _jobs.Add(new FleetJob(seeder, async (executor, activity, token) =>
        {
            activity.Stage = $"Downloading {remote}";
            await executor.DownloadFileAsync(remote, local, token).ConfigureAwait(false);
            var outcome = new HostOutcome { Bytes = new FileInfo(local).Length };
            outcome.Objects.Add(new FileInfo(local));
            return outcome;
        }));
    }

    private static FleetTarget? First(IReadOnlyList<FleetTarget> targets) => targets.Count > 0 ? targets[0] : null;

    /// <inheritdoc/>
    protected override void EndProcessing() => RunFleet(_jobs, "Save-MurderTorrent", WriteOutcome);
}
