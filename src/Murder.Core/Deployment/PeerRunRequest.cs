using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>What one peer is asked to do: fetch TAG.tgz through the swarm and extract it.</summary>
public sealed record PeerRunRequest
{
    /// <summary>Invoke-MurderPeer's default for -SeedSeconds.</summary>
    public const int DefaultSeedSeconds = 30;

    /// <summary>Invoke-MurderPeer's default for -StallTimeoutSeconds.</summary>
    public const int DefaultStallTimeoutSeconds = 300;

    /// <summary>The deploy tag.</summary>
    public required string Tag { get; init; }

    /// <summary>The .torrent describing TAG.tgz.</summary>
    public required string TorrentPath { get; init; }

    /// <summary>Where TAG.tgz is downloaded (Murder's /tmp).</summary>
    public required string TempPath { get; init; }

    /// <summary>Where releases go: DESTINATION/TAG, or DESTINATION itself with <see cref="NoTagDirectory"/>.</summary>
    public required string DestinationPath { get; init; }

    /// <summary>Extract into DESTINATION itself.</summary>
    public bool NoTagDirectory { get; init; }

    /// <summary>Replace a non-empty target (Murder's unsafe_please_delete).</summary>
    public bool ReplaceExisting { get; init; }

    /// <summary>Give up when no data arrives for this long (a missing seeder, a dead tracker).</summary>
    public System.TimeSpan StallTimeout { get; init; } = System.TimeSpan.FromMinutes(5);

    /// <summary>The host's name in deploy reports (as the control machine named it); the machine name when null.</summary>
    public string? ReportHost { get; init; }

    /// <summary>
    /// When above 0, the lingering peer stops as soon as the deploy ledger shows this many hosts
    /// seeding, done or failed (SeedSeconds is then the maximum linger, not a fixed time).
    /// </summary>
    public int UntilHostsDone { get; init; }

    /// <summary>Remove the torrent and TAG.tgz from TempPath when the run ends (Invoke-MurderDeploy's clean-up, done by each host).</summary>
    public bool RemoveTempFiles { get; init; }

    /// <summary>The environment variable a remote PowerShell passes <see cref="ReportHost"/> in.</summary>
    public const string ReportHostVariable = "MURDER_REPORT_HOST";

    /// <summary>Where the record of deployed releases is kept (<see cref="DeployedRelease"/>); Murder's state directory when null.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Swarm behaviour (ports, pipelining, choking).</summary>
    public SwarmSettings Swarm { get; init; } = new();
}
