using Murder.Core.Swarm;

namespace Murder.Sim;

/// <summary>What happens at an instant of virtual time.</summary>
internal enum SimEventKind
{
    Launch,
    Tick,
    Deliver,
    UplinkDone,
    Handshake,
    HandshakeAnswer,
    DialRefused,
    Gone,
    PieceChecked,
    TrackerRequest,
    TrackerAnswer,
    Die,
}

/// <summary>One event: its kind, the host it happens at, and what it carries.</summary>
internal readonly record struct SimEvent(SimEventKind Kind, SimHost Host, SimLink? Link = null, OutgoingMessage Message = default, object? Data = null);
