using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Deployment;

/// <summary>
/// Reports a running peer to the deploy ledger: at every stage change (looked at every
/// <c>tick</c>) and every interval the tracker names while the stage is not terminal, with the
/// download rate measured between reports. <see cref="FinishAsync"/> sends the last word.
/// </summary>
public sealed class DeployReportLoop : IAsyncDisposable
{
    private readonly DeployReporter _reporter;
    private readonly Func<DeployReport> _snapshot;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private DeployStage? _sentStage;
    private TimeSpan _sentAt;
    private long _rateBytes;
    private TimeSpan _rateAt;
    private long _rate;

    private DeployReportLoop(DeployReporter reporter, Func<DeployReport> snapshot, TimeSpan tick)
    {
        _reporter = reporter;
        _snapshot = snapshot;
        _loop = RunAsync(tick, _stop.Token);
    }

    /// <summary>Starts reporting what <paramref name="snapshot"/> returns (its Rate is measured here).</summary>
    public static DeployReportLoop Start(DeployReporter reporter, Func<DeployReport> snapshot, TimeSpan? tick = null)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(snapshot);
        return new DeployReportLoop(reporter, snapshot, tick ?? TimeSpan.FromMilliseconds(250));
    }

    /// <summary>Stops the periodic reports and sends <paramref name="final"/> (bounded by the reporter's timeout).</summary>
    public async Task FinishAsync(DeployReport final)
    {
        ArgumentNullException.ThrowIfNull(final);
        await StopAsync().ConfigureAwait(false);
        await _reporter.ReportAsync(final, CancellationToken.None).ConfigureAwait(false);
        _sentStage = final.Stage;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync(TimeSpan tick, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(tick);
        try
        {
            do
            {
                DeployReport report = _snapshot();
                TimeSpan now = _clock.Elapsed;
                MeasureRate(report.Downloaded, now);
                bool changed = report.Stage != _sentStage;
                bool due = !DeployStages.IsTerminal(report.Stage) && now - _sentAt >= _reporter.Interval;
                if (changed || due)
                {
                    _sentStage = report.Stage;
                    _sentAt = now;
                    await _reporter.ReportAsync(report with { Rate = report.Stage == DeployStage.Downloading ? _rate : 0 }, stop).ConfigureAwait(false);
                }
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void MeasureRate(long downloaded, TimeSpan now)
    {
        // Over windows of at least a second, so one tick's burst does not make the rate.
        TimeSpan window = now - _rateAt;
        if (window >= TimeSpan.FromSeconds(1))
        {
            _rate = Math.Max(0, (long)((downloaded - _rateBytes) / window.TotalSeconds));
            _rateBytes = downloaded;
            _rateAt = now;
        }
    }
}
