namespace Murder.Core.Tracker;

/// <summary>The announce <c>event</c> parameter (BEP 3).</summary>
public enum TrackerEvent
{
    /// <summary>A regular announce (no event).</summary>
    None,

    /// <summary>The first announce of a download.</summary>
    Started,

    /// <summary>The download finished (sent once).</summary>
    Completed,

    /// <summary>The peer leaves the swarm.</summary>
    Stopped,
}
