using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading.Tasks;
using Murder.Cmdlets.Hosting;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Hosting;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Server;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// Start-MurderTracker: runs Murder's HTTP tracker, in the background by default (it outlives the
/// session and records itself in Murder's state directory), or in this session with -Foreground.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "MurderTracker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(TrackerInfo))]
public sealed class StartMurderTrackerCommand : MurderFleetCmdlet
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The TCP port; Murder's is 8998.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 8998;

    /// <summary>The address to listen on; every address (IPv4 and IPv6) by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string BindAddress { get; set; } = "::";

    /// <summary>Seconds between announces.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int AnnounceInterval { get; set; } = 15;

    /// <summary>The directory of registered .torrent files.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TorrentDirectory { get; set; }

    /// <summary>Serve any torrent, not only registered ones.</summary>
    [Parameter]
    public SwitchParameter Open { get; set; }

    /// <summary>Honour the announce ip= parameter from every client.</summary>
    [Parameter]
    public SwitchParameter AllowIpParameter { get; set; }

    /// <summary>
    /// Other names the tracker is reached by (DNS aliases): its live page, /metrics and the deploy
    /// ledger answer under them too. IP addresses, localhost and this machine's name always work.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowedHostName { get; set; }

    /// <summary>Run in this session until Ctrl+C instead of in the background.</summary>
    [Parameter]
    public SwitchParameter Foreground { get; set; }

    /// <summary>Accept only announces carrying the torrent's key derived from this secret (see New-MurderTorrent -SwarmSecret).</summary>
    [Parameter]
    public System.Security.SecureString? SwarmSecret { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (QueueRemote("Start a Murder tracker"))
        {
            return;
        }

        if (!IPAddress.TryParse(BindAddress, out IPAddress? address))
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("InvalidBindAddress", MurderErrorCategory.InvalidArgument, $"'{BindAddress}' is not an IP address. Give one of this machine's addresses, 0.0.0.0 or :: for all.") { TargetObject = BindAddress }));
            return;
        }

        string[] hostNames = AllowedHostName ?? Array.Empty<string>();
        if (hostNames.FirstOrDefault(name => !TrackerOptions.IsHostName(name)) is string badName)
        {
            ThrowTerminatingError(ToErrorRecord(new MurderException("InvalidHostName", MurderErrorCategory.InvalidArgument, $"'{badName}' is not a host name: give DNS names the tracker is reached by, such as tracker.example.com (letters, digits, '-' and '.'; IP addresses need no allowing).") { TargetObject = badName }));
            return;
        }

        BackgroundProcessStore store = BackgroundProcessStore.Default();
        string torrentDirectory = TorrentDirectory is null
            ? TrackerProcess.DefaultTorrentDirectory(store, Port)
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TorrentDirectory);
        var endpoint = new IPEndPoint(address, Port);
        string where = $"port {Port} on {address}";
        if (!ShouldProcess(where, Foreground ? "Run a Murder tracker in this session" : "Start a Murder tracker in the background"))
        {
            return;
        }

        Validate(() => Directory.CreateDirectory(torrentDirectory));
        if (Foreground)
        {
            RunForeground(store, endpoint, torrentDirectory);
        }
        else
        {
            StartBackground(store, endpoint, torrentDirectory);
        }
    }

    private void StartBackground(BackgroundProcessStore store, IPEndPoint endpoint, string torrentDirectory)
    {
        // Like Start-MurderSeeding: a tracker already running on the port is reported, not an error,
        // so a deploy can make sure one runs.
        if (store.Get(TrackerProcess.Kind, TrackerProcess.NameOf(Port)) is BackgroundProcessRecord running && BackgroundProcessStore.IsRunning(running))
        {
            WriteWarning($"A Murder tracker already runs on port {Port} (process {running.ProcessId}); nothing was started.");
            WriteObject(TrackerProcess.ToInfo(store, running));
            return;
        }

        Validate(() =>
        {
            TrackerServer.EnsurePortAvailable(endpoint);
            return 0;
        });

        var parameters = new List<KeyValuePair<string, object?>>
        {
            new(nameof(Foreground), true),
            new(nameof(Port), Port),
            new(nameof(BindAddress), endpoint.Address.ToString()),
            new(nameof(AnnounceInterval), AnnounceInterval),
            new(nameof(TorrentDirectory), torrentDirectory),
            new(nameof(Open), Open.IsPresent),
            new(nameof(AllowIpParameter), AllowIpParameter.IsPresent),
            new(nameof(AllowedHostName), AllowedHostName is { Length: > 0 } ? AllowedHostName : null),
        };
        Dictionary<string, string>? environment = SwarmSecret is null ? null : new() { [TrackerHost.SecretEnvironmentVariable] = SecretBytes.ToPlainText(SwarmSecret) };
        BackgroundProcessRecord record = RunWithProgress(
            token => BackgroundLauncher.Start(store, TrackerProcess.Kind, TrackerProcess.NameOf(Port), "Start-MurderTracker", parameters, StartTimeout, token, environment),
            () => new ProgressRecord(1, "Start-MurderTracker", $"Starting the tracker on port {Port}"));
        WriteObject(TrackerProcess.ToInfo(store, record));
    }

    private void RunForeground(BackgroundProcessStore store, IPEndPoint endpoint, string torrentDirectory)
    {
        var options = new TrackerOptions
        {
            AnnounceInterval = TimeSpan.FromSeconds(AnnounceInterval),
            Open = Open,
            AllowIpParameter = AllowIpParameter,
            AllowedHostNames = AllowedHostName ?? Array.Empty<string>(),
            SwarmSecret = SwarmSecret is not null ? SecretBytes.From(SwarmSecret) : TrackerHost.SecretFromEnvironment(),
        };
        var log = new ConcurrentQueue<string>();
        using TrackerHost host = Validate(() => TrackerHost.Start(store, options, endpoint, torrentDirectory, log.Enqueue));
        TrackerInfo info = host.Info;
        WriteObject(info);
        Say($"Murder tracker listening on {host.LocalEndPoint} ({info.Url}, live page {info.PageUrl}); torrents from {torrentDirectory}{(Open ? ", open to any torrent" : string.Empty)}. Ctrl+C stops it.");
        Task running = host.RunAsync(Cancellation);
        while (Task.WaitAny(new[] { running }, TimeSpan.FromMilliseconds(250)) < 0)
        {
            Drain(log);
        }

        Drain(log);
        running.GetAwaiter().GetResult();
        Say("Murder tracker stopped.");
    }

    private void Drain(ConcurrentQueue<string> log)
    {
        while (log.TryDequeue(out string? line))
        {
            Say(line);
        }
    }

    private void Say(string line) =>
        WriteLogLine(line);
}
