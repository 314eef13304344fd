namespace Murder.Core.Swarm;

/// <summary>
/// How many blocks a peer may send that are not (or no longer) wanted before it is dropped. A block
/// we cancelled (end-game duplicates) or gave up on (the peer choked us) may already be on the
/// wire, so each request withdrawn that way raises the allowance by one; only blocks beyond the
/// requests we withdrew plus a fixed margin count as a violation. A lifetime count without this
/// dropped well-behaved peers after a few minutes of end-game cancels (seen in the swarm
/// benchmark: "more than 64 blocks nobody asked for" between Murder peers).
/// </summary>
internal sealed class UnrequestedBlockAllowance
{
    private readonly int _margin;
    private long _withdrawn;
    private long _unwanted;

    public UnrequestedBlockAllowance(int margin) => _margin = margin;

    /// <summary>Blocks received that nobody wanted any more, whether forgiven or not.</summary>
    public long Unwanted => _unwanted;

    /// <summary>Requests of ours that the peer may still answer although we no longer wait for them.</summary>
    public void Withdrew(int requests) => _withdrawn += requests;

    /// <summary>Counts one unwanted block; false when the peer has now sent more than it could have in good faith.</summary>
    public bool TryCount() => ++_unwanted <= _withdrawn + _margin;
}
