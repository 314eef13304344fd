using Murder.Core.PeerWire;

namespace Murder.Core.Swarm;

/// <summary>
/// A message waiting in a connection's send queue; a piece is read from the store only when it is
/// sent. <paramref name="Payload"/> carries a bitfield's bytes (a snapshot taken when it was queued).
/// </summary>
internal readonly record struct OutgoingMessage(PeerMessageKind Kind, int Index = 0, int Begin = 0, int Length = 0, byte[]? Payload = null)
{
    public BlockRequest Block => new(Index, Begin, Length);
}
