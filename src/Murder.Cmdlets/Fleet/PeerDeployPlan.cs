using System;
using System.Collections.Generic;

namespace Murder.Cmdlets.Fleet;

/// <summary>What a fleet deploy starts on each host, and how it is followed.</summary>
internal sealed record PeerDeployPlan
{
    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>The torrent on this machine, handed to every host.</summary>
    public required string LocalTorrent { get; init; }

    /// <summary>Where the torrent goes on a host (and its temp directory).</summary>
    public required string RemoteTorrent { get; init; }

    /// <summary>The module on the hosts.</summary>
    public required string ModulePath { get; init; }

    /// <summary>Invoke-MurderPeer's parameters on a host (the agent gets the same, plus the host's name).</summary>
    public required IReadOnlyList<KeyValuePair<string, object?>> Parameters { get; init; }

    /// <summary>Where the release lands on a host, for the results.</summary>
    public string? Destination { get; init; }

    /// <summary>How long a started host may stay silent before it is lost.</summary>
    public required TimeSpan HostLost { get; init; }

    /// <summary>When Invoke-MurderPeer began on this machine: each host's log says how long after it its peer started.</summary>
    public DateTime InvokedAtUtc { get; init; } = DateTime.UtcNow;
}
