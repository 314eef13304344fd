using System;
using System.Collections.Generic;

namespace Murder.Core.Fleet;

/// <summary>How to reach hosts over SSH.</summary>
public sealed record SshSettings
{
    /// <summary>The user to log in as.</summary>
    public required string User { get; init; }

    /// <summary>Private key files to offer, in order.</summary>
    public required IReadOnlyList<string> KeyPaths { get; init; }

    /// <summary>The known_hosts file host keys are checked against.</summary>
    public required string KnownHostsPath { get; init; }

    /// <summary>Check host keys (on unless the user opts out explicitly).</summary>
    public bool CheckHostKeys { get; init; } = true;

    /// <summary>How long to wait for a host to answer.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The PowerShell 7 executable on the hosts.</summary>
    public string PwshPath { get; init; } = "pwsh";

    /// <summary>The dotnet host that runs the agent directly; null to always use <see cref="PwshPath"/>.</summary>
    public string? DotnetPath { get; init; } = "dotnet";

    /// <summary>How long starting a host's peer may take, connection included, before that host fails.</summary>
    public TimeSpan LaunchTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How often an idle connection sends an SSH keep-alive, so firewalls and NAT keep it and a
    /// dead one is noticed by the transport; zero or negative for none.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest any other remote operation on one host (a command, an upload, a download) may take before that host fails with HostTimedOut.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromHours(1);

    private readonly object _knownHostsGate = new();
    private (string Path, KnownHosts Hosts)? _knownHosts;

    /// <summary>
    /// The known_hosts file, read and parsed once for every host of a run (it can hold one line
    /// per host of the fleet: tens of thousands).
    /// </summary>
    public KnownHosts LoadKnownHosts()
    {
        lock (_knownHostsGate)
        {
            if (_knownHosts is not { } cached || cached.Path != KnownHostsPath)
            {
                _knownHosts = cached = (KnownHostsPath, KnownHosts.Load(KnownHostsPath));
            }

            return cached.Hosts;
        }
    }
}
