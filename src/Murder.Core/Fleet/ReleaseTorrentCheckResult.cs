namespace Murder.Core.Fleet;

/// <summary>What <see cref="ReleaseTorrentCheck"/> found when it did not refuse the torrent.</summary>
public sealed record ReleaseTorrentCheckResult
{
    /// <summary>Whether the tracker lists this info-hash with a seeder.</summary>
    public required bool Verified { get; init; }

    /// <summary>The seeders the tracker lists for it.</summary>
    public long Seeders { get; init; }

    /// <summary>Something to warn about: the check could not be made, or another release of the same name is seeded too.</summary>
    public string? Warning { get; init; }
}
