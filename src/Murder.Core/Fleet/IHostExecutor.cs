using System;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Fleet;

/// <summary>
/// Runs PowerShell on one remote host and moves files to and from it. SSH (SSH.NET) and
/// PSRemoting sessions implement it; the fleet commands only see this.
/// </summary>
public interface IHostExecutor : IAsyncDisposable
{
    /// <summary>The host as the user named it; the target of its errors.</summary>
    string ComputerName { get; }

    /// <summary>
    /// Runs a PowerShell script (built by <see cref="RemoteScript"/>) and passes every line it
    /// writes to <paramref name="onLine"/>, as it comes.
    /// </summary>
    Task<RemoteRunResult> RunScriptAsync(string script, Action<string> onLine, CancellationToken cancellationToken);

    /// <summary>Copies a local file to <paramref name="remotePath"/>, creating its directory; replaces an existing file.</summary>
    Task UploadFileAsync(string localPath, string remotePath, CancellationToken cancellationToken);

    /// <summary>Copies a remote file to <paramref name="localPath"/>; replaces an existing file.</summary>
    Task DownloadFileAsync(string remotePath, string localPath, CancellationToken cancellationToken);
}
