using System.Buffers;
using Murder.Core.PeerWire;

namespace Murder.Core.Swarm;

/// <summary>
/// A message waiting in a connection's send queue; a piece is read from the store only when it is
/// sent. <paramref name="Payload"/> carries a bitfield's bytes (a snapshot taken when it was queued).
/// </summary>
internal readonly record struct OutgoingMessage(PeerMessageKind Kind, int Index = 0, int Begin = 0, int Length = 0, byte[]? Payload = null)
{
    public BlockRequest Block => new(Index, Begin, Length);

    /// <summary>
    /// The message as the receiving engine reads it, for in-memory transports (the simulator, tests):
    /// <paramref name="block"/> is a piece's data (bytes, or zeros where blocks carry none).
    /// </summary>
    public PeerMessage Received(ReadOnlySequence<byte> block) => Kind switch
    {
        PeerMessageKind.Piece => new PeerMessage(Kind, (byte)Kind, Index, Begin, Length, 0, block),
        PeerMessageKind.Bitfield => new PeerMessage(Kind, (byte)Kind, 0, 0, 0, 0, new ReadOnlySequence<byte>(Payload ?? System.Array.Empty<byte>())),
        PeerMessageKind.KeepAlive => PeerMessage.KeepAlive,
        _ => new PeerMessage(Kind, (byte)Kind, Index, Begin, Length, 0, ReadOnlySequence<byte>.Empty),
    };
}
