using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;

namespace Murder.Cmdlets;

/// <summary>
/// The base of every Murder cmdlet: Ctrl+C becomes a cancellation token, core errors become
/// ErrorRecords with their stable ErrorIds, and long work runs off the pipeline thread while the
/// pipeline thread alone writes progress.
/// </summary>
public abstract class MurderCmdlet : PSCmdlet, IDisposable
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private static readonly string[] HostTags = { "PSHOST" };
    private readonly CancellationTokenSource _stopping = new();
    private bool _disposed;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken Cancellation => _stopping.Token;

    /// <inheritdoc/>
    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Turns a core error into an ErrorRecord.</summary>
    protected static ErrorRecord ToErrorRecord(MurderException error) =>
        new(error, error.ErrorId, Enum.TryParse(error.Category.ToString(), out ErrorCategory category) ? category : ErrorCategory.NotSpecified, error.TargetObject);

    /// <summary>
    /// Runs work on the thread pool and, every quarter second until it ends, writes the progress
    /// record that <paramref name="describe"/> returns (null for none). Progress is always closed.
    /// Core errors become terminating errors with their ErrorIds; Ctrl+C stops the pipeline.
    /// </summary>
    protected T RunWithProgress<T>(Func<CancellationToken, T> work, Func<ProgressRecord?> describe)
    {
        Task<T> task = Task.Run(() => work(Cancellation), Cancellation);
        ProgressRecord? last = null;
        try
        {
            // WaitAny, unlike Wait, does not throw: the error surfaces unwrapped from GetResult below.
            while (Task.WaitAny(new Task[] { task }, ProgressInterval) < 0)
            {
                ProgressRecord? record = describe();
                if (record is not null)
                {
                    last = record;
                    WriteProgress(record);
                }
            }

            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (MurderException error)
        {
            ThrowTerminatingError(ToErrorRecord(error));
            throw; // unreachable: ThrowTerminatingError always throws
        }
        finally
        {
            if (last is not null)
            {
                last.RecordType = ProgressRecordType.Completed;
                WriteProgress(last);
            }
        }
    }

    /// <summary>
    /// Writes one timestamped log line to the host (in a background process, its log file) as an
    /// information record tagged PSHOST.
    /// </summary>
    protected void WriteLogLine(string line) =>
        WriteInformation(new HostInformationMessage { Message = Murder.Core.Hosting.LogLine.Format(line) }, HostTags);

    /// <summary>Runs a core call that validates input, turning its errors into terminating errors.</summary>
    protected T Validate<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (MurderException error)
        {
            ThrowTerminatingError(ToErrorRecord(error));
            throw; // unreachable
        }
    }

    /// <summary>Formats a byte count for people: 1.5 GiB, 12.0 MiB, 512 B.</summary>
    protected static string FormatBytes(double bytes) => ByteFormatter.Format(bytes);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the cancellation source.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _stopping.Dispose();
        }

        _disposed = true;
    }
}
