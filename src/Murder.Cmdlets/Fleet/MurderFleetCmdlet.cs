using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Murder.Core.MetaInfo;
using Murder.Core.Swarm;

namespace Murder.Cmdlets.Fleet;

/// <summary>
/// The base of every cmdlet that acts on a machine: with -ComputerName (SSH) or -Session
/// (PSRemoting) it runs the same cmdlet on each host, up to ThrottleLimit at once, RemoteForge
/// style: ShouldProcess is asked per host on the pipeline thread before any work starts, workers
/// only queue their outcomes, and the pipeline thread alone writes results, per-host errors
/// (targeting the host) and progress. With neither it acts on this machine.
/// </summary>
public abstract class MurderFleetCmdlet : MurderCmdlet
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private static readonly string[] DefaultKeyNames = { "id_ed25519", "id_ecdsa", "id_rsa" };

    private static readonly HashSet<string> NotPassedOn = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(ComputerName), nameof(Session), nameof(ConfigPath), nameof(ThrottleLimit), nameof(UserName), nameof(SshKeyPath), nameof(NoHostKeyCheck),
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
        "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm",
    };

    private readonly List<FleetJob> _queued = new();
    private FleetConfiguration? _configuration;
    private string? _configurationDirectory;
    private SshSettings? _ssh;

    /// <summary>The hosts to act on over SSH: NAME, NAME:PORT or [IPv6]:PORT; HostSuffix is appended.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Cn")]
    public MurderHostName[]? ComputerName { get; set; }

    /// <summary>PSRemoting sessions to act through (New-PSSession, also -HostName over SSH).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    /// <summary>The fleet configuration; ./murder.psd1 when it exists.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <summary>How many hosts at once; ThrottleLimit from the configuration, else 32.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; }

    /// <summary>The SSH user; User from the configuration, else the current user.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>The SSH private key; SshKeyPath from the configuration, else ~/.ssh/id_ed25519, id_ecdsa or id_rsa.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshKeyPath { get; set; }

    /// <summary>Do not check host keys against known_hosts. Only for hosts you trust on a network you trust.</summary>
    [Parameter]
    public SwitchParameter NoHostKeyCheck { get; set; }

    /// <summary>Whether -ComputerName or -Session was given for the current input.</summary>
    protected bool IsRemote => ComputerName is { Length: > 0 } || Session is { Length: > 0 };

    /// <summary>The fleet configuration: -ConfigPath, else ./murder.psd1, else the defaults.</summary>
    protected FleetConfiguration Configuration
    {
        get
        {
            if (_configuration is null)
            {
                string? path = ConfigPath is not null
                    ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(ConfigPath)
                    : DefaultConfigPath();
                _configuration = path is null ? new FleetConfiguration() : Validate(() => FleetConfigurationFile.Read(path));
                _configurationDirectory = path is null ? SessionState.Path.CurrentFileSystemLocation.ProviderPath : Path.GetDirectoryName(path);
                if (UserName is not null || SshKeyPath is not null || MyInvocation.BoundParameters.ContainsKey(nameof(ThrottleLimit)))
                {
                    _configuration = _configuration with
                    {
                        User = UserName ?? _configuration.User,
                        SshKeyPath = SshKeyPath is null ? _configuration.SshKeyPath : SessionState.Path.GetUnresolvedProviderPathFromPSPath(SshKeyPath),
                        ThrottleLimit = MyInvocation.BoundParameters.ContainsKey(nameof(ThrottleLimit)) ? ThrottleLimit : _configuration.ThrottleLimit,
                    };
                }
            }

            return _configuration;
        }
    }

    /// <summary>The hosts of -ComputerName and -Session; an invalid name is an error for that host only.</summary>
    internal IReadOnlyList<FleetTarget> RequestedTargets()
    {
        if (ComputerName is { Length: > 0 } && Session is { Length: > 0 })
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("ComputerNameWithSession", MurderErrorCategory.InvalidArgument, "Give -ComputerName or -Session, not both.")));
        }

        var targets = new List<FleetTarget>();
        foreach (MurderHostName name in ComputerName ?? Array.Empty<MurderHostName>())
        {
            try
            {
                targets.Add(FleetTarget.For(Configuration.Host(name.Name)));
            }
            catch (MurderException error)
            {
                WriteError(ToErrorRecord(error));
            }
        }

        foreach (PSSession session in Session ?? Array.Empty<PSSession>())
        {
            if (!targets.Any(t => t.Session?.InstanceId == session.InstanceId))
            {
                targets.Add(FleetTarget.For(session));
            }
        }

        return targets;
    }

    /// <summary>
    /// With -ComputerName or -Session: asks ShouldProcess for each host now, queues the same
    /// cmdlet with the parameters bound for this input (or <paramref name="work"/>) to run in
    /// EndProcessing, and returns true. Without them returns false: act locally.
    /// </summary>
    internal bool QueueRemote(string action, Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>>? work = null)
    {
        if (!IsRemote)
        {
            return false;
        }

        Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>> run = work ?? RemoteCmdlet(MyInvocation.MyCommand.Name, RemoteParameters());
        foreach (FleetTarget target in RequestedTargets())
        {
            if (ShouldProcess(target.ComputerName, action))
            {
                _queued.Add(new FleetJob(target, run));
            }
        }

        return true;
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (_queued.Count > 0)
        {
            RunFleet(_queued, MyInvocation.MyCommand.Name, WriteOutcome);
        }
    }

    /// <summary>The parameters bound for the current input, less the fleet and common ones, for the remote cmdlet.</summary>
    protected List<KeyValuePair<string, object?>> RemoteParameters(params string[] leaveOut)
    {
        var parameters = new List<KeyValuePair<string, object?>>();
        foreach (KeyValuePair<string, object> bound in MyInvocation.BoundParameters)
        {
            if (NotPassedOn.Contains(bound.Key) || leaveOut.Contains(bound.Key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            object? value = bound.Value is PSObject wrapped ? wrapped.BaseObject : bound.Value;
            parameters.Add(new(bound.Key, value is SwitchParameter flag ? flag.IsPresent : value));
        }

        return parameters;
    }

    /// <summary>Work that runs a Murder cmdlet on the host and collects what it returns.</summary>
    internal Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>> RemoteCmdlet(string command, IReadOnlyList<KeyValuePair<string, object?>> parameters)
    {
        string modulePath = Configuration.RemoteMurderPath;
        return async (executor, activity, token) =>
        {
            activity.Stage = $"Running {command}";
            return await RunRemoteCmdletAsync(executor, modulePath, command, parameters, token).ConfigureAwait(false);
        };
    }

    /// <summary>Runs a Murder cmdlet on a host: its objects (with ComputerName), warnings and error.</summary>
    internal static Task<HostOutcome> RunRemoteCmdletAsync(IHostExecutor executor, string remoteMurderPath, string command, IReadOnlyList<KeyValuePair<string, object?>> parameters, CancellationToken cancellationToken) =>
        RunRemoteScriptAsync(executor, writeToConsole => RemoteScript.InvokeCmdlet(remoteMurderPath, command, parameters, writeToConsole), cancellationToken);

    /// <summary>Runs a script from <see cref="RemoteScript"/> on a host and collects its result lines.</summary>
    internal static Task<HostOutcome> RunRemoteScriptAsync(IHostExecutor executor, Func<bool, string> script, CancellationToken cancellationToken) =>
        CollectRemoteLinesAsync(executor, onLine => executor.RunScriptAsync(script(executor is SshHostExecutor), onLine, cancellationToken));

    /// <summary>Runs something on a host that answers in result lines (a remote script, the agent) and collects them.</summary>
    internal static async Task<HostOutcome> CollectRemoteLinesAsync(IHostExecutor executor, Func<Action<string>, Task<RemoteRunResult>> run)
    {
        var outcome = new HostOutcome();
        bool ended = false;
        var noise = new List<string>();
        RemoteRunResult result = await run(line =>
        {
            RemoteLine? parsed = RemoteLine.TryParse(line);
            switch (parsed?.Kind)
            {
                case RemoteLineKind.Result:
                    PSObject item = PSObject.AsPSObject(PSSerializer.Deserialize(parsed.Text));
                    item.Properties.Remove("ComputerName");
                    item.Properties.Add(new PSNoteProperty("ComputerName", executor.ComputerName));
                    outcome.Objects.Add(item);
                    break;
                case RemoteLineKind.Warning:
                    outcome.Warnings.Add(parsed.Text);
                    break;
                case RemoteLineKind.Error:
                    outcome.Error ??= parsed.ToException(executor.ComputerName);
                    break;
                case RemoteLineKind.Started:
                    outcome.Started = true;
                    break;
                case RemoteLineKind.End:
                    ended = true;
                    break;
                default:
                    if (noise.Count < 20 && !string.IsNullOrWhiteSpace(line))
                    {
                        noise.Add(line.Trim());
                    }

                    break;
            }
        }).ConfigureAwait(false);

        if (!ended && outcome.Error is null)
        {
            string said = string.Join(" | ", noise.Concat(result.ErrorOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TakeLast(8));
            outcome.Error = new MurderException("RemoteCommandFailed", MurderErrorCategory.NotSpecified, $"{executor.ComputerName}: the remote PowerShell ended early (exit code {result.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}): {(said.Length > 0 ? said : "no output")}.") { TargetObject = executor.ComputerName };
        }

        return outcome;
    }

    /// <summary>
    /// Runs the jobs, at most ThrottleLimit at once, and hands each outcome to
    /// <paramref name="onDone"/> on the pipeline thread as soon as it arrives, while writing one
    /// progress bar for the fleet and a child bar per active host. Ctrl+C cancels every worker;
    /// the pipeline is then stopping, so no more outcomes are handed on (none could be written).
    /// </summary>
    internal void RunFleet(IReadOnlyList<FleetJob> jobs, string activity, Action<FleetJob, HostOutcome> onDone)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        SshSettings ssh = SshSettingsFor();
        var pool = new HostWorkPool<HostOutcome>(
            jobs.Count,
            Configuration.ThrottleLimit,
            index => jobs[index].Target.ComputerName,
            (index, token) => RunOneAsync(jobs[index], ssh, token),
            (_, error) => HostOutcome.Failed(error),
            "stopped.",
            "stopped before it started.",
            Cancellation);
        int done = 0, failed = 0;
        long bytes = 0;
        var open = new HashSet<int>();
        var parent = new ProgressRecord(1, $"{activity} on {jobs.Count} host{(jobs.Count == 1 ? string.Empty : "s")}", "Starting");
        try
        {
            bool finished;
            do
            {
                finished = pool.Wait(ProgressInterval);
                if (Cancellation.IsCancellationRequested)
                {
                    // The pipeline is stopping and nothing can be written: only wait for the workers to let go of their hosts.
                    continue;
                }

                // The pipeline thread's work per tick grows with the hosts being worked on, not the fleet.
                open.UnionWith(pool.ActiveHosts());
                while (!Cancellation.IsCancellationRequested && pool.TryTake(out int index, out HostOutcome outcome))
                {
                    done++;
                    failed += outcome.Error is null ? 0 : 1;
                    bytes += outcome.Bytes;
                    FleetJob job = jobs[index];
                    open.Remove(index);
                    WriteProgress(new ProgressRecord(2 + index, job.Target.ComputerName, "Done") { ParentActivityId = 1, RecordType = ProgressRecordType.Completed });
                    onDone(job, outcome);
                }

                if (!finished && !Cancellation.IsCancellationRequested)
                {
                    parent.StatusDescription = $"{done} of {jobs.Count} done, {failed} failed{(bytes > 0 ? $", {FormatBytes(bytes)}" : string.Empty)}";
                    parent.PercentComplete = done * 100 / jobs.Count;
                    WriteProgress(parent);
                    foreach (int index in open)
                    {
                        WriteProgress(new ProgressRecord(2 + index, jobs[index].Target.ComputerName, jobs[index].Activity.Stage) { ParentActivityId = 1 });
                    }
                }
            }
            while (!finished);
        }
        finally
        {
            foreach (int index in open)
            {
                WriteProgress(new ProgressRecord(2 + index, jobs[index].Target.ComputerName, "Done") { ParentActivityId = 1, RecordType = ProgressRecordType.Completed });
            }

            parent.RecordType = ProgressRecordType.Completed;
            WriteProgress(parent);
        }

        if (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>
    /// A fleet deploy of one release: starts every host's peer with a short SSH command (at most
    /// ThrottleLimit connections at once; nothing held per host afterwards), then follows the deploy
    /// through the tracker's ledger and writes each host's result as it finishes, a non-terminating
    /// error (targeting the host, with its ErrorId) for each failure. A host that cannot be started
    /// is reported to the ledger by this machine, so the ledger holds every host's outcome. Ctrl+C
    /// stops following; the deploy goes on and Wait-MurderDeploy re-attaches.
    /// </summary>
    /// <returns>The results, in the order they were written.</returns>
    internal List<FleetPeerResult> DeployToFleet(IReadOnlyList<FleetTarget> targets, PeerDeployPlan plan, string activity)
    {
        var results = new List<FleetPeerResult>();
        if (targets.Count == 0)
        {
            return results;
        }

        TorrentMetaInfo torrent = Validate(() => TorrentLoader.Load(plan.LocalTorrent));
        Uri announce = Validate(() =>
        {
            using HttpSwarmTracker tracker = HttpSwarmTracker.For(torrent);
            DeployReporter.Endpoint(tracker.AnnounceUrl, "report");
            return tracker.AnnounceUrl;
        });
        string infoHash = torrent.InfoHash.ToHex();
        SshSettings ssh = SshSettingsFor();
        using DeployLedgerClient ledger = DeployLedgerClient.ForAnnounce(announce);
        using var control = new DeployReporter(announce, torrent.InfoHash, host: null);
        var follower = new FleetFollower(plan.Tag, plan.HostLost, destination: plan.Destination is null ? null : _ => plan.Destination, size: torrent.TotalLength);
        foreach (FleetTarget target in targets)
        {
            follower.Expect(target.ComputerName);
        }

        // Only what happens from now on: an earlier run's entries (a failure being retried) are history.
        long since = DeployFollowLoop.CurrentVersion(ledger, infoHash, Cancellation);
        string tracker = announce.GetLeftPart(UriPartial.Authority);
        WriteVerbose($"Following '{plan.Tag}' ({infoHash}) through the deploy ledger of {tracker}; if this session stops, the deploy goes on: Wait-MurderDeploy -Tracker {announce.Authority} -InfoHash {infoHash}.");
        var launcher = new FleetLauncher(targets, Configuration.ThrottleLimit, async (target, token) =>
        {
            try
            {
                await LaunchPeerAsync(target, plan, ssh, token).ConfigureAwait(false);
            }
            catch (MurderException error) when (!token.IsCancellationRequested)
            {
                await control.ReportAsync(new DeployReport { Stage = DeployStage.Failed, Left = torrent.TotalLength, ErrorId = error.ErrorId, Message = error.Message }, target.ComputerName, token).ConfigureAwait(false);
                throw;
            }
        }, Cancellation);
        var loop = new DeployFollowLoop(follower, ledger, infoHash, since, activity);
        loop.Run(launcher, result =>
        {
            results.Add(result);
            WriteObject(result);
            if (DeployFollowLoop.ErrorOf(result) is ErrorRecord error)
            {
                WriteError(error);
            }
        }, WriteProgress, WriteWarning, Cancellation);
        if (Cancellation.IsCancellationRequested)
        {
            launcher.Wait(TimeSpan.FromSeconds(5));
            TellHost($"Stopped following '{plan.Tag}'; the hosts already started go on. Re-attach with: Wait-MurderDeploy -Tracker {announce.Authority} -InfoHash {infoHash}");
            throw new PipelineStoppedException();
        }

        return results;
    }

    /// <summary>Writes a line straight to the host's UI (the pipeline may be stopping, where Write* would throw).</summary>
    private void TellHost(string line)
    {
        try
        {
            Host.UI.WriteWarningLine(line);
        }
        catch (Exception error) when (error is PipelineStoppedException or InvalidOperationException or NotImplementedException or System.Management.Automation.Host.HostException)
        {
        }
    }

    /// <summary>One host's short launch: connect, hand over the torrent, start the peer detached, disconnect.</summary>
    private static async Task LaunchPeerAsync(FleetTarget target, PeerDeployPlan plan, SshSettings ssh, CancellationToken cancellation)
    {
        await using IHostExecutor executor = await OpenAsync(target, ssh, cancellation).ConfigureAwait(false);
        var environment = new[] { new KeyValuePair<string, string>(PeerRunRequest.ReportHostVariable, target.ComputerName) };
        HostOutcome outcome;
        if (executor is SshHostExecutor sshExecutor)
        {
            var agentParameters = new List<KeyValuePair<string, object?>>(plan.Parameters) { new("ReportHost", target.ComputerName), new(PeerLaunch.InvokedAtParameter, plan.InvokedAtUtc.Ticks) };
            string fallback = RemoteScript.InvokeCmdlet(plan.ModulePath, "Invoke-MurderPeer", plan.Parameters, writeToConsole: true, environment);
            outcome = await CollectRemoteLinesAsync(executor, onLine => sshExecutor.RunPeerAsync(plan.ModulePath, agentParameters, plan.LocalTorrent, plan.RemoteTorrent, fallback, onLine, cancellation)).ConfigureAwait(false);
        }
        else
        {
            // A PSRemoting session: the torrent in chunks, then the whole peer run in that session.
            await executor.UploadFileAsync(plan.LocalTorrent, plan.RemoteTorrent, cancellation).ConfigureAwait(false);
            outcome = await RunRemoteScriptAsync(executor, console => RemoteScript.InvokeCmdlet(plan.ModulePath, "Invoke-MurderPeer", plan.Parameters, console, environment), cancellation).ConfigureAwait(false);
        }

        if (outcome.Error is not null)
        {
            throw outcome.Error;
        }

        if (!outcome.Started && outcome.Objects.Count == 0)
        {
            throw new MurderException("RemoteCommandFailed", MurderErrorCategory.NotSpecified, $"{target.ComputerName}: Invoke-MurderPeer neither started nor returned anything.") { TargetObject = target.ComputerName };
        }
    }

    /// <summary>Runs one host's step with its own progress and returns the outcome unwritten.</summary>
    internal HostOutcome RunStep(FleetTarget target, string activity, Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>> work)
    {
        HostOutcome? result = null;
        RunFleet(new[] { new FleetJob(target, work) }, activity, (_, outcome) => result = outcome);
        return result ?? HostOutcome.Failed(new MurderException("RemoteOperationFailed", MurderErrorCategory.NotSpecified, $"{target.ComputerName}: no result.") { TargetObject = target.ComputerName });
    }

    /// <summary>Writes a host's outcome: warnings prefixed with the host, objects, and its error targeting the host.</summary>
    internal void WriteOutcome(FleetJob job, HostOutcome outcome)
    {
        foreach (string warning in outcome.Warnings)
        {
            WriteWarning($"{job.Target.ComputerName}: {warning}");
        }

        foreach (object item in outcome.Objects)
        {
            WriteObject(item);
        }

        if (outcome.Error is not null)
        {
            WriteHostError(job.Target, outcome.Error);
        }
    }

    /// <summary>A per-host, non-terminating error whose target is the host.</summary>
    internal void WriteHostError(FleetTarget target, MurderException error) =>
        WriteError(new ErrorRecord(error, error.ErrorId, Enum.TryParse(error.Category.ToString(), out ErrorCategory category) ? category : ErrorCategory.NotSpecified, target.ComputerName));

    /// <summary>Opens the executor for a target: an SSH connection, or the session as it is.</summary>
    internal static async Task<IHostExecutor> OpenAsync(FleetTarget target, SshSettings ssh, CancellationToken cancellationToken) =>
        target.Session is not null
            ? new PSSessionExecutor(target.Session)
            : await SshHostExecutor.ConnectAsync(target.Host!, ssh, cancellationToken).ConfigureAwait(false);

    /// <summary>The SSH settings from the configuration and parameters (resolved on the pipeline thread).</summary>
    internal SshSettings SshSettingsFor()
    {
        if (_ssh is not null)
        {
            return _ssh;
        }

        FleetConfiguration config = Configuration;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string Local(string path) => Path.GetFullPath(path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path, _configurationDirectory ?? SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        IReadOnlyList<string> keys = config.SshKeyPath is not null
            ? new[] { Local(config.SshKeyPath) }
            : DefaultKeyNames.Select(name => Path.Combine(home, ".ssh", name)).Where(File.Exists).ToArray();
        _ssh = new SshSettings
        {
            User = config.User ?? Environment.UserName,
            KeyPaths = keys,
            KnownHostsPath = config.KnownHostsPath is null ? KnownHosts.DefaultPath : Local(config.KnownHostsPath),
            CheckHostKeys = !NoHostKeyCheck,
            ConnectTimeout = TimeSpan.FromSeconds(config.ConnectTimeoutSeconds),
            PwshPath = config.RemotePwshPath,
            DotnetPath = config.RemoteDotnetPath,
        };
        return _ssh;
    }

    /// <summary>One host's job with its own connection; the pool turns what it throws into the host's outcome.</summary>
    private static async Task<HostOutcome> RunOneAsync(FleetJob job, SshSettings ssh, CancellationToken cancellation)
    {
        job.Activity.Stage = "Connecting";
        await using IHostExecutor executor = await OpenAsync(job.Target, ssh, cancellation).ConfigureAwait(false);
        return await job.Work(executor, job.Activity, cancellation).ConfigureAwait(false);
    }

    private string? DefaultConfigPath()
    {
        string candidate = Path.Combine(SessionState.Path.CurrentFileSystemLocation.ProviderPath, FleetConfigurationFile.DefaultFileName);
        return File.Exists(candidate) ? candidate : null;
    }
}
