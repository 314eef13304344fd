using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Murder.Core.Fleet;

/// <summary>
/// Runs Murder on a host over SSH (SSH.NET): public-key authentication, host keys checked against
/// known_hosts unless the user opted out, commands as one pwsh -EncodedCommand line, files over SFTP.
/// </summary>
public sealed class SshHostExecutor : IHostExecutor
{
    private readonly FleetHost _host;
    private readonly SshSettings _settings;
    private readonly ConnectionInfo _connection;
    private readonly KnownHosts? _knownHosts;
    private SshClient? _client;
    private SftpClient? _sftp;
    private string? _hostKeyProblem;

    private SshHostExecutor(FleetHost host, SshSettings settings, ConnectionInfo connection, KnownHosts? knownHosts)
    {
        _host = host;
        _settings = settings;
        _connection = connection;
        _knownHosts = knownHosts;
    }

    /// <inheritdoc/>
    public string ComputerName => _host.ToString();

    /// <summary>Connects and authenticates, or throws a <see cref="MurderException"/> that says why not.</summary>
    public static async Task<SshHostExecutor> ConnectAsync(FleetHost host, SshSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        var keys = new List<IPrivateKeySource>();
        foreach (string path in settings.KeyPaths)
        {
            keys.Add(LoadKey(path, host));
        }

        if (keys.Count == 0)
        {
            throw new MurderException("SshKeyNotFound", MurderErrorCategory.ObjectNotFound, $"{host}: no SSH private key to log in with. Give SshKeyPath in murder.psd1 or -SshKeyPath.") { TargetObject = host.ToString() };
        }

        var connection = new ConnectionInfo(host.Name, host.Port, settings.User, new PrivateKeyAuthenticationMethod(settings.User, keys.ToArray()))
        {
            Timeout = settings.ConnectTimeout,
        };
        PreferCurve25519(connection);
        KnownHosts? known = settings.CheckHostKeys ? settings.LoadKnownHosts() : null;
        var executor = new SshHostExecutor(host, settings, connection, known);
        try
        {
            executor._client = new SshClient(connection) { KeepAliveInterval = KeepAlive(settings) };
            await executor.OpenAsync(executor._client, cancellationToken).ConfigureAwait(false);
            return executor;
        }
        catch
        {
            await executor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Key exchange: curve25519-sha256 first, the post-quantum hybrids after it, no SHA-1 groups.
    /// SSH.NET computes sntrup761 and ML-KEM in managed code: 120 to 150 ms of CPU per connection
    /// here against 35 ms for curve25519 (10 connections to one OpenSSH 9.2 host), which a
    /// control machine pays once per host of a fleet. What these sessions carry is the torrent
    /// (its hashes need integrity, which every key exchange gives) and Murder's commands.
    /// </summary>
    internal static void PreferCurve25519(ConnectionInfo connection)
    {
        var algorithms = connection.KeyExchangeAlgorithms;
        foreach (string name in new[] { "curve25519-sha256@libssh.org", "curve25519-sha256" })
        {
            if (algorithms.TryGetValue(name, out Func<Renci.SshNet.Security.IKeyExchange>? factory))
            {
                algorithms.Remove(name);
                algorithms.Insert(0, name, factory);
            }
        }

        foreach (string weak in new[] { "diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1" })
        {
            algorithms.Remove(weak);
        }
    }

    /// <inheritdoc/>
    public Task<RemoteRunResult> RunScriptAsync(string script, Action<string> onLine, CancellationToken cancellationToken) =>
        WithDeadlineAsync("running a command", async token => CheckPwsh(await RunCommandLineAsync(RemoteCommandLine.Build(_settings.PwshPath, script), onLine, null, token).ConfigureAwait(false)), cancellationToken);

    // SSH.NET takes an infinite interval (-1 ms) for no keep-alive.
    private static TimeSpan KeepAlive(SshSettings settings) => settings.KeepAliveInterval > TimeSpan.Zero ? settings.KeepAliveInterval : Timeout.InfiniteTimeSpan;

    private Task<bool> WithDeadlineAsync(string what, Func<CancellationToken, Task> operation, CancellationToken cancellationToken) =>
        WithDeadlineAsync(what, async token =>
        {
            await operation(token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Runs one remote operation under <see cref="SshSettings.OperationTimeout"/>: a host that stops answering fails alone (HostTimedOut) and never holds the run.</summary>
    private async Task<T> WithDeadlineAsync<T>(string what, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_settings.OperationTimeout);
        try
        {
            return await operation(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException error) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MurderException("HostTimedOut", MurderErrorCategory.ConnectionError, $"{ComputerName}: {what} took longer than {_settings.OperationTimeout.TotalMinutes:0.#} min. Check the host (load, disk, network).", error) { TargetObject = ComputerName };
        }
    }

    /// <summary>
    /// Starts Invoke-MurderPeer on the host: the host's agent, run directly by its dotnet with the
    /// torrent on its standard input, starts the peer detached and answers STARTED (or ERROR) at
    /// once: one short SSH command, no PowerShell and no SFTP session on the peer. Where the agent
    /// cannot start (no dotnet, no .NET 8+ runtime: it never answered), or when the settings name
    /// no dotnet, the torrent is uploaded to <paramref name="remoteTorrentPath"/> and
    /// <paramref name="fallbackScript"/> runs in PowerShell (which runs the whole peer before it
    /// answers). The agent exits 0 once it has answered, errors included, so a peer never starts twice.
    /// </summary>
    public async Task<RemoteRunResult> RunPeerAsync(string remoteMurderPath, IEnumerable<KeyValuePair<string, object?>> arguments, string localTorrent, string remoteTorrentPath, string fallbackScript, Action<string> onLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        if (_settings.DotnetPath is string dotnet)
        {
            string agent = RemotePath.Combine(RemotePath.Combine(remoteMurderPath, "bin"), "Murder.Agent.dll");
            var withInput = new List<KeyValuePair<string, object?>>(arguments) { new("TorrentFromInput", true) };
            byte[] torrent = await File.ReadAllBytesAsync(localTorrent, cancellationToken).ConfigureAwait(false);
            var lines = new List<string>();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_settings.LaunchTimeout);
            RemoteRunResult agentRun;
            try
            {
                agentRun = await RunCommandLineAsync(RemoteCommandLine.BuildAgent(dotnet, agent, withInput), lines.Add, torrent, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new MurderException("LaunchTimedOut", MurderErrorCategory.ConnectionError, $"{ComputerName}: the peer did not start within {_settings.LaunchTimeout.TotalSeconds:0} s. Check the host (load, disk, the agent at {agent}).") { TargetObject = ComputerName };
            }

            bool answered = lines.Exists(line => RemoteLine.TryParse(line)?.Kind == RemoteLineKind.End);
            if (answered || agentRun.ExitCode is 0 or null)
            {
                lines.ForEach(onLine);
                return agentRun;
            }
        }

        await UploadFileAsync(localTorrent, remoteTorrentPath, cancellationToken).ConfigureAwait(false);
        return await RunScriptAsync(fallbackScript, onLine, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RemoteRunResult> RunCommandLineAsync(string commandLine, Action<string> onLine, byte[]? input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        SshClient client = _client ?? throw new ObjectDisposedException(nameof(SshHostExecutor));
        using SshCommand command = client.CreateCommand(commandLine);
        try
        {
            Task execute = command.ExecuteAsync(cancellationToken);
            if (input is not null)
            {
                // Closing the stream is the end of the command's input.
                using Stream stream = command.CreateInputStream();
                await stream.WriteAsync(input, cancellationToken).ConfigureAwait(false);
            }

            await execute.ConfigureAwait(false);
        }
        catch (SshException error)
        {
            throw Translate(error);
        }

        using (var reader = new StringReader(command.Result))
        {
            while (reader.ReadLine() is string line)
            {
                onLine(line);
            }
        }

        return new RemoteRunResult(command.ExitStatus, command.Error);
    }

    private RemoteRunResult CheckPwsh(RemoteRunResult result)
    {
        string errors = result.ErrorOutput;
        if (result.ExitCode == 127 || (result.ExitCode is int code && code != 0 && errors.Contains("not found", StringComparison.OrdinalIgnoreCase) && errors.Contains(_settings.PwshPath, StringComparison.Ordinal)))
        {
            throw new MurderException("RemotePwshNotFound", MurderErrorCategory.ObjectNotFound, $"{ComputerName}: PowerShell 7 ('{_settings.PwshPath}') cannot be started there: {errors.Trim()}. Install it, or set RemotePwshPath in murder.psd1.") { TargetObject = ComputerName };
        }

        return result;
    }

    /// <inheritdoc/>
    public Task UploadFileAsync(string localPath, string remotePath, CancellationToken cancellationToken) =>
        WithDeadlineAsync("uploading '" + remotePath + "'", token => UploadFileWithoutDeadlineAsync(localPath, remotePath, token), cancellationToken);

    private async Task UploadFileWithoutDeadlineAsync(string localPath, string remotePath, CancellationToken cancellationToken)
    {
        SftpClient sftp = await SftpAsync(cancellationToken).ConfigureAwait(false);
        string target = SftpPath(remotePath);
        try
        {
            await CreateParentsAsync(sftp, target, cancellationToken).ConfigureAwait(false);
            await using FileStream source = File.OpenRead(localPath);
            await sftp.UploadFileAsync(source, target, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException error)
        {
            throw new MurderException("RemotePathNotFound", MurderErrorCategory.ObjectNotFound, $"{ComputerName}: cannot write '{remotePath}': {error.Message}", error) { TargetObject = ComputerName };
        }
        catch (SftpPermissionDeniedException error)
        {
            throw new MurderException("RemotePermissionDenied", MurderErrorCategory.PermissionDenied, $"{ComputerName}: not allowed to write '{remotePath}': {error.Message}", error) { TargetObject = ComputerName };
        }
        catch (SshException error)
        {
            throw Translate(error);
        }
    }

    /// <inheritdoc/>
    public Task DownloadFileAsync(string remotePath, string localPath, CancellationToken cancellationToken) =>
        WithDeadlineAsync("downloading '" + remotePath + "'", token => DownloadFileWithoutDeadlineAsync(remotePath, localPath, token), cancellationToken);

    private async Task DownloadFileWithoutDeadlineAsync(string remotePath, string localPath, CancellationToken cancellationToken)
    {
        SftpClient sftp = await SftpAsync(cancellationToken).ConfigureAwait(false);
        string partial = localPath + ".part";
        try
        {
            await using (FileStream target = File.Create(partial))
            {
                await sftp.DownloadFileAsync(SftpPath(remotePath), target, cancellationToken).ConfigureAwait(false);
            }

            File.Move(partial, localPath, overwrite: true);
        }
        catch (SftpPathNotFoundException error)
        {
            File.Delete(partial);
            throw new MurderException("RemoteFileNotFound", MurderErrorCategory.ObjectNotFound, $"{ComputerName}: '{remotePath}' does not exist.", error) { TargetObject = ComputerName };
        }
        catch (SshException error)
        {
            File.Delete(partial);
            throw Translate(error);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _sftp?.Dispose();
        _client?.Dispose();
        _sftp = null;
        _client = null;
        return ValueTask.CompletedTask;
    }

    private async Task<SftpClient> SftpAsync(CancellationToken cancellationToken)
    {
        if (_sftp is null)
        {
            var sftp = new SftpClient(_connection) { KeepAliveInterval = KeepAlive(_settings) };
            try
            {
                await OpenAsync(sftp, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                sftp.Dispose();
                throw;
            }

            _sftp = sftp;
        }

        return _sftp;
    }

    private async Task OpenAsync(BaseClient client, CancellationToken cancellationToken)
    {
        client.HostKeyReceived += (_, e) =>
        {
            if (_knownHosts is null)
            {
                e.CanTrust = true;
                return;
            }

            KnownHostMatch match = _knownHosts.Check(_host.Name, _host.Port, e.HostKey);
            e.CanTrust = match == KnownHostMatch.Trusted;
            string? problem = match switch
            {
                KnownHostMatch.Trusted => null,
                KnownHostMatch.Mismatch => "HostKeyMismatch",
                KnownHostMatch.Revoked => "HostKeyRevoked",
                _ => "HostKeyUnknown",
            };
            _hostKeyProblem = problem is null ? null : problem + " " + KnownHosts.Fingerprint(e.HostKey);
        };

        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is SshException or SocketException or TimeoutException or IOException || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw Translate(error);
        }
    }

    private MurderException Translate(Exception error)
    {
        string target = ComputerName;
        if (_hostKeyProblem is not null)
        {
            string[] parts = _hostKeyProblem.Split(' ', 2);
            string fingerprint = parts.Length > 1 ? parts[1] : "?";
            string message = parts[0] switch
            {
                "HostKeyMismatch" => $"{target}: the host key ({fingerprint}) is NOT the one {_settings.KnownHostsPath} lists for it. Someone may be impersonating the host, or it was reinstalled; check, then correct known_hosts (ssh-keygen -R).",
                "HostKeyRevoked" => $"{target}: the host key ({fingerprint}) is marked @revoked in {_settings.KnownHostsPath}.",
                _ => $"{target}: the host key ({fingerprint}) is not in {_settings.KnownHostsPath}. Verify it and add it (ssh-keyscan, or one interactive ssh login), or give -NoHostKeyCheck to skip the check.",
            };
            return new MurderException(parts[0], MurderErrorCategory.PermissionDenied, message, error) { TargetObject = target };
        }

        return error switch
        {
            SshAuthenticationException => new MurderException("SshAuthenticationFailed", MurderErrorCategory.PermissionDenied, $"{target}: the server refused the key for user '{_settings.User}': {error.Message}. Check SshKeyPath and the user's authorized_keys.", error) { TargetObject = target },
            SshOperationTimeoutException or TimeoutException or OperationCanceledException => new MurderException("HostUnreachable", MurderErrorCategory.ConnectionError, $"{target}: no answer within {_settings.ConnectTimeout.TotalSeconds:0} s. Check the name, the port and that sshd runs there.", error) { TargetObject = target },
            SocketException socket => new MurderException("HostUnreachable", MurderErrorCategory.ConnectionError, $"{target}: cannot connect ({socket.SocketErrorCode}: {socket.Message}). Check the name, the port and that sshd runs there.", error) { TargetObject = target },
            _ => new MurderException("SshConnectionFailed", MurderErrorCategory.ConnectionError, $"{target}: the SSH connection failed: {error.Message}", error) { TargetObject = target },
        };
    }

    private static PrivateKeyFile LoadKey(string path, FleetHost host)
    {
        try
        {
            return new PrivateKeyFile(path);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MurderException("SshKeyNotFound", MurderErrorCategory.ObjectNotFound, $"The SSH key '{path}' does not exist.", error) { TargetObject = host.ToString() };
        }
        catch (Exception error) when (error is SshException or InvalidOperationException or ArgumentException or NotSupportedException or IOException)
        {
            throw new MurderException("SshKeyUnreadable", MurderErrorCategory.InvalidData, $"The SSH key '{path}' cannot be used: {error.Message}. Murder needs an unencrypted OpenSSH or PEM private key.", error) { TargetObject = host.ToString() };
        }
    }

    private static string SftpPath(string path)
    {
        string forward = path.Replace('\\', '/');
        // A Windows path (C:/x) is /C:/x to Windows' SFTP server.
        return forward.Length >= 2 && char.IsAsciiLetter(forward[0]) && forward[1] == ':' ? "/" + forward : forward;
    }

    private static async Task CreateParentsAsync(SftpClient sftp, string path, CancellationToken cancellationToken)
    {
        int slash = path.LastIndexOf('/');
        if (slash <= 0)
        {
            return;
        }

        string parent = path[..slash];
        if (await sftp.ExistsAsync(parent, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await CreateParentsAsync(sftp, parent, cancellationToken).ConfigureAwait(false);
        await sftp.CreateDirectoryAsync(parent, cancellationToken).ConfigureAwait(false);
    }
}
