using System;
using System.Collections.Generic;
using System.Diagnostics;
using Murder.Core.Hosting;

namespace Murder.Core.Deployment;

/// <summary>Starts a peer run in a detached agent: the one process a peer host runs for a deploy.</summary>
public static class PeerLaunch
{
    /// <summary>The agent command that runs a peer.</summary>
    public const string Command = "Invoke-MurderPeer";

    /// <summary>The agent's argument for the moment Invoke-MurderPeer began (UTC ticks), for its log.</summary>
    public const string InvokedAtParameter = "InvokedAtUtcTicks";

    /// <summary>The moment <see cref="InvokedAtParameter"/> names (UTC ticks), or null when it is missing or not a time.</summary>
    public static DateTime? ParseInvokedAt(string? ticks) =>
        long.TryParse(ticks, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value) && value > 0 && value <= DateTime.MaxValue.Ticks
            ? new DateTime(value, DateTimeKind.Utc)
            : null;

    /// <summary>The agent's arguments for <paramref name="request"/> (its port fixed to <paramref name="port"/>).</summary>
    public static List<KeyValuePair<string, object?>> Parameters(PeerRunRequest request, int port, int seedSeconds, DateTime invokedAtUtc)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new List<KeyValuePair<string, object?>>
        {
            new("Tag", request.Tag),
            new("TorrentPath", request.TorrentPath),
            new("TempPath", request.TempPath),
            new("DestinationPath", request.DestinationPath),
            new("NoTagDirectory", request.NoTagDirectory),
            new("UnsafePleaseDelete", request.ReplaceExisting),
            new("StallTimeoutSeconds", (int)request.StallTimeout.TotalSeconds),
            new("Port", port),
            new("SeedSeconds", seedSeconds),
            new(InvokedAtParameter, invokedAtUtc.Ticks),
            new("ReportHost", request.ReportHost),
            new("UntilHostsDone", request.UntilHostsDone),
            new("RemoveTempFiles", request.RemoveTempFiles),
        };
    }

    /// <summary>The log name of a peer run on <paramref name="port"/>.</summary>
    public static string NameOf(PeerRunRequest request, int port) => SeedingProcess.NameOf(SeedingProcess.PeerKind, request.Tag, port);

    /// <summary>
    /// Starts the run detached from this process (it follows nobody: it reports to the deploy
    /// ledger and ends by itself) and returns its process id at once. A child that is already
    /// gone when asked is an error with the reason from its log; a run of the same tag that still
    /// holds its lock is PeerAlreadyRunning, and nothing is started.
    /// </summary>
    public static int Start(BackgroundProcessStore store, AgentHost agent, PeerRunRequest request, int seedSeconds, DateTime invokedAtUtc)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(request);
        PeerRunLock.EnsureFree(request);
        int port = request.Swarm.ListenPort != 0 ? request.Swarm.ListenPort : FreePort.Pick();
        string name = NameOf(request, port);
        string logPath = store.LogPath(SeedingProcess.PeerKind, name);
        using Process child = DetachedProcess.Launch(store, agent.Dotnet, DetachedProcess.AgentArguments(agent, Command, Parameters(request, port, seedSeconds, invokedAtUtc), logPath), logPath, DetachedProcess.TransferEnvironment);
        if (child.HasExited)
        {
            throw DetachedProcess.ChildFailed(SeedingProcess.PeerKind, name, logPath);
        }

        return child.Id;
    }
}
