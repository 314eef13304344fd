using System;
using Murder.Core.Deployment;

namespace Murder.Core.Fleet;

/// <summary>
/// One host's result of a fleet deploy (Invoke-MurderPeer -ComputerName, Invoke-MurderDeploy,
/// Wait-MurderDeploy), from the tracker's deploy ledger or from the host's failed launch.
/// </summary>
public sealed record FleetPeerResult
{
    /// <summary>The host, as the control machine named it.</summary>
    public required string ComputerName { get; init; }

    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>The release's info-hash (null when the host failed before the ledger was read).</summary>
    public string? InfoHash { get; init; }

    /// <summary>Succeeded or Failed.</summary>
    public required FleetHostStatus Status { get; init; }

    /// <summary>The host's last reported stage (seeding, done, failed); null when it never reported or was lost.</summary>
    public DeployStage? Stage { get; init; }

    /// <summary>The artifact's size (0 when the host failed).</summary>
    public long Bytes { get; init; }

    /// <summary>From the host's first report to its last: start, download, extraction.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Artifact bytes per second over <see cref="Duration"/>.</summary>
    public double Rate { get; init; }

    /// <summary>Where the release is on the host (when the caller knows it).</summary>
    public string? Destination { get; init; }

    /// <summary>The host's first report in the ledger (tracker time, UTC), or null.</summary>
    public DateTime? FirstReportUtc { get; init; }

    /// <summary>The host's last report in the ledger (tracker time, UTC), or null.</summary>
    public DateTime? LastReportUtc { get; init; }

    /// <summary>Why the host failed, prefixed with the host, or null.</summary>
    public string? Error { get; init; }

    /// <summary>The ErrorId of the failure (HostLost for a host silent past the deadline), or null.</summary>
    public string? ErrorId { get; init; }
}
