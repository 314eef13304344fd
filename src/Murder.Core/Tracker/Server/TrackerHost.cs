using System;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Hosting;

namespace Murder.Core.Tracker.Server;

/// <summary>
/// A tracker as a long-running process runs it: listening, recorded in Murder's state directory
/// (so Get-/Stop-MurderTracker find it), serving until cancelled, and the record removed at the
/// end. Start-MurderTracker -Foreground and the background agent both run trackers through this.
/// </summary>
public sealed class TrackerHost : IDisposable
{
    /// <summary>The environment variable a background tracker reads its swarm secret from (never its command line).</summary>
    public const string SecretEnvironmentVariable = "MURDER_SWARM_SECRET";

    private readonly BackgroundProcessStore _store;
    private readonly TrackerServer _server;
    private int _removed;

    private TrackerHost(BackgroundProcessStore store, TrackerServer server, BackgroundProcessRecord record)
    {
        _store = store;
        _server = server;
        Record = record;
    }

    /// <summary>The record saved for this process.</summary>
    public BackgroundProcessRecord Record { get; }

    /// <summary>What Start-MurderTracker reports.</summary>
    public TrackerInfo Info => TrackerProcess.ToInfo(_store, Record);

    /// <summary>Where the tracker listens.</summary>
    public IPEndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>The tracker itself.</summary>
    public TrackerServer Server => _server;

    /// <summary>
    /// Binds (TrackerPortInUse when the port is taken), registers the torrents in
    /// <paramref name="torrentDirectory"/> and records the process.
    /// </summary>
    public static TrackerHost Start(BackgroundProcessStore store, TrackerOptions options, IPEndPoint endpoint, string torrentDirectory, Action<string> log)
    {
        Directory.CreateDirectory(torrentDirectory);
        var server = new TrackerServer(options, endpoint, torrentDirectory, log);
        try
        {
            server.Start();
            int port = server.LocalEndPoint.Port;
            string ledgerDirectory = TrackerProcess.LedgerDirectory(store, port);
            int ledgers = server.PersistLedgers(ledgerDirectory);
            if (ledgers > 0)
            {
                log($"Loaded {ledgers} deploy ledger(s) from '{ledgerDirectory}'.");
            }

            string logPath = store.LogPath(TrackerProcess.Kind, TrackerProcess.NameOf(port));
            BackgroundProcessRecord record = TrackerProcess.CreateRecord(
                store,
                server.LocalEndPoint.Address,
                port,
                torrentDirectory,
                options.Open,
                (int)options.AnnounceInterval.TotalSeconds,
                File.Exists(logPath) ? logPath : null);
            store.Save(record);
            return new TrackerHost(store, server, record);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The swarm secret handed to a background tracker through its environment, or null.</summary>
    public static byte[]? SecretFromEnvironment() =>
        Environment.GetEnvironmentVariable(SecretEnvironmentVariable) is { Length: > 0 } secret ? System.Text.Encoding.UTF8.GetBytes(secret) : null;

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled; the record is removed at the end.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _server.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            RemoveRecord();
        }
    }

    /// <summary>Stops serving and removes the record.</summary>
    public void Dispose()
    {
        _server.Dispose();
        RemoveRecord();
    }

    private void RemoveRecord()
    {
        if (Interlocked.Exchange(ref _removed, 1) == 0)
        {
            _store.Remove(Record.Kind, Record.Name, Record.ProcessId);
        }
    }
}
