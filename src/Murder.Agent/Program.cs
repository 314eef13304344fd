using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Murder.Core.Hosting;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Server;

namespace Murder.Agent;

/// <summary>
/// murder-agent: runs one tracker or seeder in the background, started by the module's launcher
/// (`bin/linux-x64/murder-agent Start-MurderTracker -Port 8998 ...`, native; elsewhere
/// `dotnet Murder.Agent.dll ...`, the same program managed). The arguments are the cmdlet's
/// own parameter names, already validated by the cmdlet; secrets come through the environment.
/// Like the PowerShell host it replaces, it records itself when ready, logs to standard output,
/// and on failure writes one line `MURDER-ERROR ErrorId Category message` and exits 1.
/// </summary>
public static class Program
{
    private const string ErrorMarker = "MURDER-ERROR ";

    /// <summary>Runs a command; 0 when it ended normally (stopped or its time was up).</summary>
    public static async Task<int> Main(string[] args)
    {
        using var stopping = new CancellationTokenSource();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Stop(context, stopping));
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Stop(context, stopping));
        try
        {
            AgentArguments arguments = AgentArguments.Parse(args);
            if (arguments.Get("LogPath") is string logPath)
            {
                // Windows: started by shell execution, which cannot redirect output.
                var writer = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
                Console.SetOut(writer);
                Console.SetError(writer);
            }

            BackgroundProcessStore store = BackgroundProcessStore.Default();
            switch (arguments.Command)
            {
                case "Start-MurderTracker":
                    await RunTrackerAsync(store, arguments, stopping.Token).ConfigureAwait(false);
                    break;
                case "Start-MurderSeeding":
                    await RunSeedingAsync(store, arguments, stopping.Token).ConfigureAwait(false);
                    break;
                case RemoteCommandLine.AgentRemoteCommand when arguments.Get(RemoteCommandLine.AgentRemoteParameter[1..]) is string encoded:
                    return RemotePeerCommand.Run(store, encoded, stopping.Token);
                case "Invoke-MurderPeer":
                    return await PeerCommand.RunAsync(store, arguments, Log, stopping.Token).ConfigureAwait(false);
                default:
                    throw new MurderException("AgentCommandUnknown", MurderErrorCategory.InvalidArgument, $"The agent runs Start-MurderTracker, Start-MurderSeeding and Invoke-MurderPeer, not '{arguments.Command}'.");
            }

            return 0;
        }
        catch (MurderException error)
        {
            await Console.Error.WriteLineAsync(ErrorMarker + error.ErrorId + " " + error.Category + " " + OneLine(error.Message)).ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or FormatException)
        {
            await Console.Error.WriteLineAsync(ErrorMarker + "BackgroundProcessFailed NotSpecified " + OneLine(error.Message)).ConfigureAwait(false);
            return 1;
        }
    }

    private static void Stop(PosixSignalContext context, CancellationTokenSource stopping)
    {
        // Leave the process to end by itself once everything is closed and the record removed.
        context.Cancel = true;
        stopping.Cancel();
    }

    private static async Task RunTrackerAsync(BackgroundProcessStore store, AgentArguments arguments, CancellationToken cancellation)
    {
        int port = arguments.GetInt("Port");
        IPAddress address = IPAddress.Parse(arguments.Require("BindAddress"));
        var options = new TrackerOptions
        {
            AnnounceInterval = TimeSpan.FromSeconds(arguments.GetInt("AnnounceInterval", 15)),
            Open = arguments.GetBool("Open"),
            AllowIpParameter = arguments.GetBool("AllowIpParameter"),
            SwarmSecret = TrackerHost.SecretFromEnvironment(),
            AllowedHostNames = arguments.Get("AllowedHostName")?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? Array.Empty<string>(),
        };
        string torrentDirectory = arguments.Require("TorrentDirectory");
        using TrackerHost host = TrackerHost.Start(store, options, new IPEndPoint(address, port), torrentDirectory, Log);
        Log($"Murder tracker listening on {host.LocalEndPoint} ({host.Info.Url}); torrents from {torrentDirectory}{(options.Open ? ", open to any torrent" : string.Empty)}.");
        await host.RunAsync(cancellation).ConfigureAwait(false);
        Log("Murder tracker stopped.");
    }

    private static async Task RunSeedingAsync(BackgroundProcessStore store, AgentArguments arguments, CancellationToken cancellation)
    {
        string tag = DeployTag.Validate(arguments.Require("Tag"));
        string torrentPath = arguments.Require("TorrentPath");
        string artifactPath = arguments.Require("ArtifactPath");
        int seedSeconds = arguments.GetInt("SeedSeconds");
        TorrentMetaInfo torrent = TorrentLoader.Load(torrentPath);
        if (!File.Exists(artifactPath))
        {
            throw new MurderException("ArtifactNotFound", MurderErrorCategory.ObjectNotFound, $"The artifact '{artifactPath}' does not exist.") { TargetObject = artifactPath };
        }

        int untilHostsDone = arguments.GetInt("UntilHostsDone");
        var request = new SeedingHostRequest
        {
            Kind = seedSeconds > 0 ? SeedingProcess.PeerKind : SeedingProcess.SeederKind,
            Tag = tag,
            Torrent = torrent,
            TorrentPath = torrentPath,
            ArtifactPath = artifactPath,
            Port = arguments.GetInt("Port"),
            SeedFor = seedSeconds > 0 ? TimeSpan.FromSeconds(seedSeconds) : null,
            MaxUploadRate = arguments.GetLong("MaxUploadRate"),
            VerifiedArtifact = arguments.Get("VerifiedArtifact") is string stamp ? ArtifactStamp.Parse(stamp) : null,
        };
        await using SeedingHost host = await SeedingHost.StartAsync(store, request, null, cancellation).ConfigureAwait(false);
        host.Diagnostic += Log;
        Log($"Seeding '{tag}' on port {host.Record.Port}{(host.StopsAtUtc is DateTime stops ? " until " + stops.ToString("u", CultureInfo.InvariantCulture) : string.Empty)}.");
        if (untilHostsDone > 0)
        {
            await LingerWatch.SeedAsync(host, torrent, new LingerUntilDone(untilHostsDone, request.SeedFor ?? LingerUntilDone.DefaultSeederMaximum, DateTime.UtcNow), Log, cancellation, changesSinceStart: request.Kind == SeedingProcess.SeederKind).ConfigureAwait(false);
        }
        else
        {
            await host.RunAsync(cancellation).ConfigureAwait(false);
        }

        Log($"Stopped seeding '{tag}'.");
        if (arguments.GetBool("RemoveTempFiles"))
        {
            await host.DisposeAsync().ConfigureAwait(false);
            TempFiles.Remove([torrentPath, artifactPath], Log);
        }
    }

    internal static void Log(string line) =>
        Console.Out.WriteLine(LogLine.Format(line));

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

/// <summary>`Command -Name value ...`, as the launcher writes it.</summary>
internal sealed class AgentArguments
{
    private readonly Dictionary<string, string> _values;

    private AgentArguments(string command, Dictionary<string, string> values)
    {
        Command = command;
        _values = values;
    }

    public string Command { get; }

    public static AgentArguments Parse(string[] args)
    {
        if (args.Length == 0 || args.Length % 2 == 0)
        {
            throw Usage();
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < args.Length; i += 2)
        {
            if (args[i].Length < 2 || args[i][0] != '-')
            {
                throw Usage();
            }

            values[args[i][1..]] = args[i + 1];
        }

        return new AgentArguments(args[0], values);
    }

    public string? Get(string name) => _values.TryGetValue(name, out string? value) ? value : null;

    public string Require(string name) => Get(name) ?? throw new MurderException("AgentArgumentMissing", MurderErrorCategory.InvalidArgument, $"The agent needs -{name}.");

    public int GetInt(string name, int fallback = 0) => Get(name) is string value ? int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

    public long GetLong(string name) => Get(name) is string value ? long.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;

    public bool GetBool(string name) => Get(name) is string value && bool.Parse(value);

    private static MurderException Usage() =>
        new("AgentUsage", MurderErrorCategory.InvalidArgument, "Usage: murder-agent (or dotnet Murder.Agent.dll) Start-MurderTracker|Start-MurderSeeding|Invoke-MurderPeer -Name value ... (started by the Murder module, not by hand).");
}
