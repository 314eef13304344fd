using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Murder.Core.Hosting;

namespace Murder.Core.Deployment;

/// <summary>
/// A peer run in the module's agent, followed by the Invoke-MurderPeer that started it in a
/// PowerShell session (over SSH the agent starts the run detached and nobody follows it but the
/// deploy ledger: <see cref="PeerLaunch"/>). The agent
/// downloads, verifies and extracts, writes its progress and its result (or error) to a status
/// file, then keeps seeding from the same process and port. While the run works it follows the
/// process that started it: if that ends (Ctrl+C, a dropped SSH session), the run stops and keeps
/// what was downloaded for a resume.
/// </summary>
public static class AgentPeerRun
{
    // How often the status file is looked at; the agent writes it at most twice a second.
    private static readonly TimeSpan StatusPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Starts the agent for <paramref name="request"/> and waits for its final status, passing every
    /// new status to <paramref name="onStatus"/> (the file is parsed only when it changed). Cancelling
    /// kills the agent (what it downloaded is kept).
    /// </summary>
    /// <param name="store">Murder's state directory (records, logs, the status file).</param>
    /// <param name="agent">The agent and the dotnet host that runs it.</param>
    /// <param name="request">What to fetch and where to extract it (already validated).</param>
    /// <param name="seedSeconds">How long to keep seeding once the artifact is verified.</param>
    /// <param name="invokedAtUtc">When the user's command began (the agent logs its start-up delay).</param>
    /// <param name="onStatus">Receives each status the agent writes; null when only the final one matters.</param>
    /// <param name="cancellation">Stops the run.</param>
    public static PeerStatus Run(BackgroundProcessStore store, AgentHost agent, PeerRunRequest request, int seedSeconds, DateTime invokedAtUtc, Action<PeerStatus>? onStatus, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(request);
        int port = request.Swarm.ListenPort != 0 ? request.Swarm.ListenPort : FreePort.Pick();
        string name = PeerLaunch.NameOf(request, port);
        string statusPath = Path.Combine(store.LogDirectory, SeedingProcess.PeerKind + "-" + name + ".status.json");
        string logPath = store.LogPath(SeedingProcess.PeerKind, name);
        List<KeyValuePair<string, object?>> parameters = PeerLaunch.Parameters(request, port, seedSeconds, invokedAtUtc);
        parameters.Add(new("StatusPath", statusPath));
        parameters.Add(new("ParentProcessId", Environment.ProcessId));
        Directory.CreateDirectory(store.LogDirectory);
        string finalPath = PeerStatusFile.FinalPath(statusPath);
        File.Delete(statusPath);
        File.Delete(finalPath);
        PeerStatus? status = null;
        using Process child = DetachedProcess.Launch(store, agent.Dotnet, DetachedProcess.AgentArguments(agent, PeerLaunch.Command, parameters, logPath), logPath, DetachedProcess.TransferEnvironment);
        try
        {
            // The file is read again only once it has changed (one stat per tick, no parse).
            DateTime seen = default;
            while (true)
            {
                if (File.Exists(finalPath) && PeerStatusFile.Read(finalPath) is { IsFinal: true } final)
                {
                    status = final;
                    onStatus?.Invoke(final);
                    return final;
                }

                if (onStatus is not null)
                {
                    DateTime changed = File.GetLastWriteTimeUtc(statusPath);
                    if (changed != seen && PeerStatusFile.Read(statusPath) is PeerStatus read)
                    {
                        // A file that could not be read this time (being replaced) is tried again.
                        seen = changed;
                        status = read;
                        onStatus(read);
                    }

                    if (status is { IsFinal: true })
                    {
                        return status;
                    }
                }

                if (child.HasExited)
                {
                    // It may have written its last word just before exiting.
                    status = PeerStatusFile.Read(finalPath) ?? PeerStatusFile.Read(statusPath) ?? status;
                    return status is { IsFinal: true } ? status : throw DetachedProcess.ChildFailed(SeedingProcess.PeerKind, name, logPath);
                }

                if (cancellation.WaitHandle.WaitOne(StatusPollInterval))
                {
                    DetachedProcess.Kill(child);
                    cancellation.ThrowIfCancellationRequested();
                }
            }
        }
        finally
        {
            if (status is { IsFinal: true })
            {
                File.Delete(statusPath);
                File.Delete(finalPath);
            }
        }
    }
}
