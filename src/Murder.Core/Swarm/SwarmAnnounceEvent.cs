namespace Murder.Core.Swarm;

/// <summary>The announce events of BEP 3.</summary>
public enum SwarmAnnounceEvent
{
    /// <summary>A regular re-announce.</summary>
    None,
    /// <summary>The first announce.</summary>
    Started,
    /// <summary>The download completed.</summary>
    Completed,
    /// <summary>The client is leaving.</summary>
    Stopped,
}
