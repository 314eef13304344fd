namespace Murder.Core.Tracker;

/// <summary>One peer of a swarm: about 64 bytes, no references.</summary>
internal struct PeerEntry
{
    public Hash20 PeerId;
    public PeerAddress Address;
    public ushort Port;
    public bool IsSeeder;

    /// <summary>Whether this peer's completed event was already counted.</summary>
    public bool CountedCompleted;

    /// <summary>When it last announced, in <see cref="System.TimeProvider"/> timestamp units.</summary>
    public long LastSeen;
}
