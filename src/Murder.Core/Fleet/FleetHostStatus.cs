namespace Murder.Core.Fleet;

/// <summary>How a host's part of a fleet operation ended.</summary>
public enum FleetHostStatus
{
    /// <summary>It did what was asked.</summary>
    Succeeded,
    /// <summary>It failed; Error says why.</summary>
    Failed,
}
