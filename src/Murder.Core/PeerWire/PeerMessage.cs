using System.Buffers;

namespace Murder.Core.PeerWire;

/// <summary>
/// One framed peer wire message, as <see cref="PeerMessageReader"/> reads it. Fields that a kind
/// does not use are zero. <see cref="Payload"/> is a slice of the buffer that was read, never a
/// copy: it is valid only until that buffer is released (the pipe advanced past it).
/// </summary>
public readonly struct PeerMessage
{
    internal PeerMessage(PeerMessageKind kind, byte id, int index, int begin, int length, ushort port, ReadOnlySequence<byte> payload)
    {
        Kind = kind;
        Id = id;
        Index = index;
        Begin = begin;
        Length = length;
        Port = port;
        Payload = payload;
    }

    /// <summary>What the message is.</summary>
    public PeerMessageKind Kind { get; }

    /// <summary>The id byte on the wire (0 for a keep-alive); tells unknown messages apart.</summary>
    public byte Id { get; }

    /// <summary>The piece index of a have, request, piece or cancel.</summary>
    public int Index { get; }

    /// <summary>The block's offset in its piece (request, piece, cancel).</summary>
    public int Begin { get; }

    /// <summary>The block's length (request, cancel: asked for; piece: the payload's length).</summary>
    public int Length { get; }

    /// <summary>The DHT port of a port message.</summary>
    public ushort Port { get; }

    /// <summary>
    /// The bitfield bytes, the block of a piece message, or the body of an extended or unknown
    /// message (after the id): a slice of the input, not a copy.
    /// </summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>A keep-alive.</summary>
    public static PeerMessage KeepAlive => new(PeerMessageKind.KeepAlive, 0, 0, 0, 0, 0, ReadOnlySequence<byte>.Empty);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        PeerMessageKind.Have => $"have {Index}",
        PeerMessageKind.Bitfield => $"bitfield ({Payload.Length} bytes)",
        PeerMessageKind.Request or PeerMessageKind.Cancel or PeerMessageKind.Piece => $"{Kind.ToString().ToLowerInvariant()} {Index}:{Begin}+{Length}",
        PeerMessageKind.Port => $"port {Port}",
        PeerMessageKind.Unknown or PeerMessageKind.Extended => $"{Kind.ToString().ToLowerInvariant()} id {Id} ({Payload.Length} bytes)",
        _ => Kind.ToString(),
    };
}
