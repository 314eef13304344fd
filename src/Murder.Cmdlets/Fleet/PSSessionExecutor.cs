using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Fleet;

/// <summary>
/// Runs Murder on a host through a PSRemoting session (WinRM, or PowerShell over SSH from
/// New-PSSession -HostName). Each call is its own PowerShell instance on the session's runspace;
/// calls on one session take turns, as a runspace runs one command at a time. Files move in
/// 1 MiB byte-array chunks passed as parameters, never pasted into script text.
/// </summary>
internal sealed class PSSessionExecutor : IHostExecutor
{
    private const int ChunkBytes = 1024 * 1024;
    private static readonly ConcurrentDictionary<Guid, SemaphoreSlim> Turns = new();

    private const string WriteChunkScript =
        "param([string] $Path, [byte[]] $Bytes, [bool] $First)\n" +
        "if ($First) {\n" +
        "    $directory = [System.IO.Path]::GetDirectoryName($Path)\n" +
        "    if ($directory) { $null = [System.IO.Directory]::CreateDirectory($directory) }\n" +
        "    $mode = [System.IO.FileMode]::Create\n" +
        "} else { $mode = [System.IO.FileMode]::Append }\n" +
        "$stream = [System.IO.File]::Open($Path, $mode, [System.IO.FileAccess]::Write)\n" +
        "try { if ($Bytes) { $stream.Write($Bytes, 0, $Bytes.Length) } } finally { $stream.Dispose() }\n";

    private const string ReadChunkScript =
        "param([string] $Path, [long] $Offset, [int] $Count)\n" +
        "$stream = [System.IO.File]::OpenRead($Path)\n" +
        "try {\n" +
        "    $null = $stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)\n" +
        "    $buffer = [byte[]]::new($Count)\n" +
        "    $read = $stream.Read($buffer, 0, $Count)\n" +
        "    if ($read -lt $Count) { [Array]::Resize([ref] $buffer, $read) }\n" +
        "    , $buffer\n" +
        "} finally { $stream.Dispose() }\n";

    private readonly PSSession _session;

    public PSSessionExecutor(PSSession session) => _session = session;

    public string ComputerName => _session.ComputerName;

    public async Task<RemoteRunResult> RunScriptAsync(string script, Action<string> onLine, CancellationToken cancellationToken)
    {
        PSDataCollection<PSObject> output = await InvokeAsync(
            shell => shell.AddScript(script),
            line => onLine(line),
            cancellationToken).ConfigureAwait(false);
        return new RemoteRunResult(null, string.Empty);
    }

    public async Task UploadFileAsync(string localPath, string remotePath, CancellationToken cancellationToken)
    {
        await using FileStream source = File.OpenRead(localPath);
        var buffer = new byte[ChunkBytes];
        bool first = true;
        while (true)
        {
            int read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0 && !first)
            {
                break;
            }

            byte[] chunk = buffer.AsSpan(0, read).ToArray();
            bool isFirst = first;
            await InvokeAsync(shell => shell.AddScript(WriteChunkScript).AddParameter("Path", remotePath).AddParameter("Bytes", chunk).AddParameter("First", isFirst), null, cancellationToken).ConfigureAwait(false);
            first = false;
            if (read == 0)
            {
                break;
            }
        }
    }

    public async Task DownloadFileAsync(string remotePath, string localPath, CancellationToken cancellationToken)
    {
        string partial = localPath + ".part";
        try
        {
            await using (FileStream target = File.Create(partial))
            {
                long offset = 0;
                while (true)
                {
                    long at = offset;
                    PSDataCollection<PSObject> result = await InvokeAsync(shell => shell.AddScript(ReadChunkScript).AddParameter("Path", remotePath).AddParameter("Offset", at).AddParameter("Count", ChunkBytes), null, cancellationToken).ConfigureAwait(false);
                    byte[] chunk = result.Select(o => o?.BaseObject).OfType<byte[]>().FirstOrDefault() ?? Array.Empty<byte>();
                    await target.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    offset += chunk.Length;
                    if (chunk.Length < ChunkBytes)
                    {
                        break;
                    }
                }
            }

            File.Move(partial, localPath, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<PSDataCollection<PSObject>> InvokeAsync(Action<PowerShell> build, Action<string>? onLine, CancellationToken cancellationToken)
    {
        if (_session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened)
        {
            throw new MurderException("SessionNotOpen", MurderErrorCategory.ConnectionError, $"{ComputerName}: the session {_session.Name} is {_session.Runspace.RunspaceStateInfo.State}. Open a new one with New-PSSession.") { TargetObject = ComputerName };
        }

        SemaphoreSlim turn = Turns.GetOrAdd(_session.InstanceId, _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using PowerShell shell = PowerShell.Create();
            shell.Runspace = _session.Runspace;
            build(shell);
            var input = new PSDataCollection<PSObject>();
            input.Complete();
            var output = new PSDataCollection<PSObject>();
            if (onLine is not null)
            {
                output.DataAdded += (_, e) =>
                {
                    if (output[e.Index]?.BaseObject is string line)
                    {
                        onLine(line);
                    }
                };
            }

            using CancellationTokenRegistration stop = cancellationToken.Register(() => shell.BeginStop(null, null));
            try
            {
                IAsyncResult pending = shell.BeginInvoke(input, output);
                await Task.Factory.FromAsync(pending, shell.EndInvoke).ConfigureAwait(false);
            }
            catch (Exception error) when (error is RuntimeException or PSInvalidOperationException or InvalidRunspaceStateException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new MurderException(error is RuntimeException { ErrorRecord: not null } runtime ? runtime.ErrorRecord.FullyQualifiedErrorId.Split(',')[0] : "SessionFailed", MurderErrorCategory.ConnectionError, $"{ComputerName}: {error.Message}", error) { TargetObject = ComputerName };
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (shell.HadErrors && shell.Streams.Error.Count > 0)
            {
                ErrorRecord first = shell.Streams.Error[0];
                throw new MurderException(first.FullyQualifiedErrorId.Split(',')[0], MurderErrorCategory.NotSpecified, $"{ComputerName}: {first.Exception?.Message ?? first.ToString()}") { TargetObject = ComputerName };
            }

            return output;
        }
        finally
        {
            turn.Release();
        }
    }
}
