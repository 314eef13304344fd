using System.Net;

namespace Murder.Core.Swarm.Engine;

/// <summary>
/// What the engine asks of the world besides sending to a connected peer (that goes through the
/// peer's link). Each call must return at once; the outcome comes back to the engine as an input
/// (<see cref="SwarmEngine.Connected"/> or <see cref="SwarmEngine.DialFailed"/>,
/// <see cref="SwarmEngine.PieceChecked"/>, <see cref="SwarmEngine.AnnounceSucceeded"/> or
/// <see cref="SwarmEngine.AnnounceFailed"/>).
/// </summary>
internal interface ISwarmActions
{
    /// <summary>Connect to a peer and shake hands.</summary>
    void Dial(IPEndPoint endPoint);

    /// <summary>Check a whole piece against its hash and, when it matches, write it.</summary>
    void Verify(PieceProgress piece);

    /// <summary>Tell the tracker.</summary>
    void Announce(SwarmAnnounce announce);

    /// <summary>Every piece is verified and written (flush, then report completion).</summary>
    void Completed();

    /// <summary>A notable event, one line.</summary>
    void Diagnostic(string message);
}
