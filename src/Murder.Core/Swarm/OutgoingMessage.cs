using Murder.Core.PeerWire;

namespace Murder.Core.Swarm;

/// <summary>A message waiting in a connection's send queue; a piece is read from the store only when it is sent.</summary>
internal readonly record struct OutgoingMessage(PeerMessageKind Kind, int Index = 0, int Begin = 0, int Length = 0)
{
    public BlockRequest Block => new(Index, Begin, Length);
}
