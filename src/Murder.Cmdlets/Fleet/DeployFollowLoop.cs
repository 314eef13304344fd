using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Fleet;

/// <summary>
/// Follows a deploy on the pipeline thread: feeds the follower with launch outcomes and ledger
/// reads (one read in flight at a time, incremental: only what changed since the last), hands each
/// host's result to the caller as it finishes, and describes the fleet in one progress bar (with
/// one child bar while hosts are still being launched). It returns when every host has its result,
/// or when the cancellation token fires (the deploy goes on without this session).
/// </summary>
internal sealed class DeployFollowLoop
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);
    private readonly FleetFollower _follower;
    private readonly DeployLedgerClient _ledger;
    private readonly string _infoHash;
    private readonly string _activity;
    private readonly TimeSpan _pollInterval;
    private long _since;

    public DeployFollowLoop(FleetFollower follower, DeployLedgerClient ledger, string infoHash, long since, string activity, TimeSpan? pollInterval = null)
    {
        _follower = follower;
        _ledger = ledger;
        _infoHash = infoHash;
        _since = since;
        _activity = activity;
        _pollInterval = pollInterval ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>The ledger version to read from now (for a later re-attach).</summary>
    public long Since => _since;

    /// <summary>The ledger's version now, to follow only what happens from here on (0 when it has no such deploy yet).</summary>
    public static long CurrentVersion(DeployLedgerClient ledger, string infoHash, CancellationToken cancellation)
    {
        try
        {
            return ledger.ReadAsync(infoHash, long.MaxValue / 2, 1, cancellation).GetAwaiter().GetResult().Version;
        }
        catch (MurderException)
        {
            // Unknown yet, or unreachable now: follow from the start; the loop warns if it stays so.
            return 0;
        }
    }

    /// <summary>The non-terminating error of a failed host's result (targeting the host, with its ErrorId), or null.</summary>
    public static ErrorRecord? ErrorOf(FleetPeerResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.ErrorId is not string errorId
            ? null
            : new ErrorRecord(
                new MurderException(errorId, MurderErrorCategory.NotSpecified, result.Error ?? errorId) { TargetObject = result.ComputerName },
                errorId,
                errorId == FleetFollower.HostLostErrorId ? ErrorCategory.OperationTimeout : ErrorCategory.NotSpecified,
                result.ComputerName);
    }

    /// <summary>Runs until every host has a result or <paramref name="cancellation"/> fires; all callbacks run on this thread.</summary>
    public void Run(FleetLauncher? launcher, Action<FleetPeerResult> onResult, Action<ProgressRecord> onProgress, Action<string> onWarning, CancellationToken cancellation)
    {
        var parent = new ProgressRecord(1, _activity, "Starting");
        ProgressRecord? launching = launcher is null ? null : new ProgressRecord(2, "Starting the peers", "Connecting") { ParentActivityId = 1 };
        Task<DeployLedgerPage>? read = null;
        var sinceRead = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        string? lastProblem = null;
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                DateTime now = DateTime.UtcNow;
                if (launcher is not null)
                {
                    while (launcher.TryTake(out LaunchOutcome outcome))
                    {
                        if (outcome.Error is null)
                        {
                            _follower.Launched(outcome.ComputerName, now);
                        }
                        else
                        {
                            onResult(_follower.LaunchFailed(outcome.ComputerName, outcome.Error.ErrorId, outcome.Error.Message));
                        }
                    }
                }

                if (read is { IsCompleted: true })
                {
                    bool more = false;
                    try
                    {
                        DeployLedgerPage page = read.GetAwaiter().GetResult();
                        _since = Math.Max(_since, page.Next);
                        more = page.More;
                        foreach (FleetPeerResult result in _follower.Apply(page, now))
                        {
                            onResult(result);
                        }

                        lastProblem = null;
                    }
                    catch (MurderException error) when (error.ErrorId != "DeployNotFound")
                    {
                        if (error.Message != lastProblem)
                        {
                            lastProblem = error.Message;
                            onWarning($"{error.Message} Hosts that stay unheard of end as {FleetFollower.HostLostErrorId}.");
                        }
                    }
                    catch (MurderException)
                    {
                        // No host has reported yet: the deploy is not in the ledger until then.
                    }

                    read = null;
                    if (!more)
                    {
                        sinceRead.Restart();
                    }
                }

                foreach (FleetPeerResult lost in _follower.ExpireLost(now))
                {
                    onResult(lost);
                }

                bool launched = launcher is null || (launcher.IsFinished && !launcher.HasOutcomes);
                if (launched && _follower.IsComplete && _follower.Hosts > 0)
                {
                    break;
                }

                if (read is null && sinceRead.Elapsed >= _pollInterval)
                {
                    long since = _since;
                    read = Task.Run(() => _ledger.ReadAsync(_infoHash, since, DeployLedgerClient.MaxLimit, cancellation), CancellationToken.None);
                }

                if (sinceProgress.Elapsed >= ProgressInterval)
                {
                    sinceProgress.Restart();
                    Describe(parent);
                    onProgress(parent);
                    if (launching is not null && launcher is not null)
                    {
                        if (launcher.IsFinished)
                        {
                            launching.RecordType = ProgressRecordType.Completed;
                            onProgress(launching);
                            launching = null;
                        }
                        else
                        {
                            int total = _follower.Hosts;
                            int waiting = launcher.Pending + launcher.Active;
                            launching.StatusDescription = $"{total - waiting} of {total} started, {launcher.Active} connecting now";
                            launching.PercentComplete = total == 0 ? 0 : (total - waiting) * 100 / total;
                            onProgress(launching);
                        }
                    }
                }

                cancellation.WaitHandle.WaitOne(Tick);
            }
        }
        finally
        {
            if (launching is not null)
            {
                launching.RecordType = ProgressRecordType.Completed;
                onProgress(launching);
            }

            parent.RecordType = ProgressRecordType.Completed;
            onProgress(parent);
        }
    }

    private void Describe(ProgressRecord record)
    {
        FleetProgress progress = _follower.Progress();
        var status = new StringBuilder();
        status.Append(progress.Finished).Append(" of ").Append(progress.Hosts).Append(" done");
        if (progress.Failed > 0)
        {
            status.Append(" (").Append(progress.Failed).Append(" failed").Append(progress.Lost > 0 ? $", {progress.Lost} lost" : string.Empty).Append(')');
        }

        foreach (DeployStage stage in new[] { DeployStage.Starting, DeployStage.Verifying, DeployStage.Downloading, DeployStage.Extracting })
        {
            if (progress.Stages[stage] > 0)
            {
                status.Append(", ").Append(progress.Stages[stage]).Append(' ').Append(DeployStages.ToWire(stage));
            }
        }

        if (progress.Silent > 0)
        {
            status.Append(", ").Append(progress.Silent).Append(" started, not heard from yet");
        }

        if (progress.Waiting > 0)
        {
            status.Append(", ").Append(progress.Waiting).Append(" to start");
        }

        if (progress.TotalBytes > 0)
        {
            status.Append(" | ").Append(ByteFormatter.Format(progress.Downloaded)).Append(" of ").Append(ByteFormatter.Format(progress.TotalBytes));
            if (progress.Rate > 0)
            {
                status.Append(" at ").Append(ByteFormatter.Format(progress.Rate)).Append("/s");
            }
        }

        if (progress.Stages[DeployStage.Downloading] > 0)
        {
            IReadOnlyList<string> slowest = _follower.Slowest(3);
            if (slowest.Count > 0)
            {
                status.Append(" | behind: ").Append(string.Join(", ", slowest));
            }
        }

        record.StatusDescription = status.ToString();
        record.PercentComplete = progress.TotalBytes > 0
            ? (int)Math.Min(100, progress.Downloaded * 100 / progress.TotalBytes)
            : progress.Hosts == 0 ? 0 : progress.Finished * 100 / progress.Hosts;
        record.SecondsRemaining = progress.Rate > 0 && progress.TotalBytes > progress.Downloaded ? (int)Math.Min(int.MaxValue, (progress.TotalBytes - progress.Downloaded) / progress.Rate) : -1;
    }
}
