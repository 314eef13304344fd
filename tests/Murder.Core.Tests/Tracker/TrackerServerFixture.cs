using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Tracker;
using Murder.Core.Tracker.Server;

namespace Murder.Core.Tests.Tracker;

/// <summary>A tracker on 127.0.0.1 and a free port, stopped on dispose.</summary>
internal sealed class TrackerServerFixture : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public TrackerServerFixture(TrackerOptions? options = null, string? torrentDirectory = null, string? ledgerDirectory = null)
    {
        Server = new TrackerServer(options ?? new TrackerOptions(), new IPEndPoint(IPAddress.Loopback, 0), torrentDirectory);
        Server.Register(TrackerTestData.Torrent, "Deploy1.tgz");
        Server.Start();
        if (ledgerDirectory is not null)
        {
            Server.PersistLedgers(ledgerDirectory);
        }

        _running = Server.RunAsync(_stop.Token);
    }

    public TrackerServer Server { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoint;

    public Uri AnnounceUrl => new($"http://127.0.0.1:{EndPoint.Port}/announce");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }
}
