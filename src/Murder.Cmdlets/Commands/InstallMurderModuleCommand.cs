using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Install-MurderModule: copies this module to RemoteMurderPath on every host (Murder's
/// distribute_files), uploading to a sibling directory first and swapping it in, so a host never
/// has a half-copied module.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "MurderModule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PSObject))]
public sealed class InstallMurderModuleCommand : MurderFleetCmdlet
{
    private readonly List<FleetJob> _jobs = new();

    /// <summary>The module directory to copy (holding Murder.psd1); the loaded module by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string source = Path is null ? LoadedModuleDirectory() : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!File.Exists(System.IO.Path.Combine(source, "Murder.psd1")))
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("ModuleNotFound", MurderErrorCategory.ObjectNotFound, $"'{source}' holds no Murder.psd1. Build the module (./build.ps1) or give -Path out/Murder.") { TargetObject = source }));
        }

        List<(string Local, string Relative)> files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
            .Select(file => (file, System.IO.Path.GetRelativePath(source, file).Replace('\\', '/')))
            .OrderBy(file => file.Item2, StringComparer.Ordinal)
            .ToList();
        string remoteRoot = Configuration.RemoteMurderPath;
        IReadOnlyList<FleetTarget> targets = IsRemote ? RequestedTargets() : Configuration.AllHosts().Select(FleetTarget.For).ToList();
        if (targets.Count == 0 && !IsRemote)
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("NoHosts", MurderErrorCategory.InvalidArgument, "No hosts to install to: give -ComputerName or -Session, or list Peers in murder.psd1.")));
        }

        foreach (FleetTarget target in targets)
        {
            if (ShouldProcess(target.ComputerName, $"Install Murder ({files.Count} files) into {remoteRoot}, replacing an older copy"))
            {
                _jobs.Add(new FleetJob(target, (executor, activity, token) => InstallAsync(executor, activity, files, remoteRoot, token)));
            }
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing() => RunFleet(_jobs, "Install-MurderModule", WriteOutcome);

    private static async Task<HostOutcome> InstallAsync(IHostExecutor executor, HostActivity activity, List<(string Local, string Relative)> files, string remoteRoot, CancellationToken token)
    {
        string nonce = ModuleInstallScript.NewNonce();
        string staging = ModuleInstallScript.StagingPath(remoteRoot, nonce);
        long bytes = 0;
        for (int index = 0; index < files.Count; index++)
        {
            activity.Stage = $"Uploading {index + 1} of {files.Count}: {files[index].Relative}";
            await executor.UploadFileAsync(files[index].Local, RemotePath.Combine(staging, files[index].Relative), token).ConfigureAwait(false);
            bytes += new FileInfo(files[index].Local).Length;
        }

        activity.Stage = "Swapping the new copy in";
        HostOutcome outcome = await RunRemoteScriptAsync(executor, console => RemoteScript.Wrap(ModuleInstallScript.Body(remoteRoot, staging, nonce, files.Count), console), token).ConfigureAwait(false);
        outcome.Bytes = bytes;
        return outcome;
    }

    private static string LoadedModuleDirectory()
    {
        string? bin = System.IO.Path.GetDirectoryName(typeof(InstallMurderModuleCommand).Assembly.Location);
        return (bin is null ? null : System.IO.Path.GetDirectoryName(bin)) ?? string.Empty;
    }
}
