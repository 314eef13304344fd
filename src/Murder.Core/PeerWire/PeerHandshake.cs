using System;
using System.Buffers;
using System.Buffers.Binary;
using Murder.Core.MetaInfo;

namespace Murder.Core.PeerWire;

/// <summary>
/// The BitTorrent handshake (BEP 3): 19, "BitTorrent protocol", 8 reserved bytes, the 20-byte
/// info-hash and the 20-byte peer id. Parsing reports the info-hash; check it with
/// <see cref="EnsureInfoHash(InfoHash)"/> before answering.
/// </summary>
public sealed class PeerHandshake
{
    /// <summary>The bytes of a handshake.</summary>
    public const int Length = 68;

    /// <summary>The bytes of a peer id.</summary>
    public const int PeerIdLength = 20;

    /// <summary>The reserved bit of the extension protocol (BEP 10): byte 5, 0x10.</summary>
    public const ulong ExtensionProtocolBit = 0x10UL << 16;

    private static ReadOnlySpan<byte> ProtocolPrefix => "\u0013BitTorrent protocol"u8;

    private readonly byte[] _peerId;

    /// <summary>Creates a handshake.</summary>
    public PeerHandshake(InfoHash infoHash, ReadOnlySpan<byte> peerId, ulong reserved = 0)
    {
        if (peerId.Length != PeerIdLength)
        {
            throw new ArgumentException($"A peer id is {PeerIdLength} bytes, not {peerId.Length}.", nameof(peerId));
        }

        InfoHash = infoHash;
        _peerId = peerId.ToArray();
        Reserved = reserved;
    }

    /// <summary>The torrent the connection is for.</summary>
    public InfoHash InfoHash { get; }

    /// <summary>The sender's peer id.</summary>
    public ReadOnlyMemory<byte> PeerId => _peerId;

    /// <summary>The 8 reserved bytes as a big-endian number (extension bits).</summary>
    public ulong Reserved { get; }

    /// <summary>Whether the sender supports the extension protocol (BEP 10).</summary>
    public bool SupportsExtensionProtocol => (Reserved & ExtensionProtocolBit) != 0;

    /// <summary>Writes the 68 bytes; returns <see cref="Length"/>.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"A handshake needs {Length} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        ProtocolPrefix.CopyTo(destination);
        BinaryPrimitives.WriteUInt64BigEndian(destination[20..], Reserved);
        InfoHash.Bytes.CopyTo(destination[28..]);
        _peerId.CopyTo(destination[48..]);
        return Length;
    }

    /// <summary>The 68 bytes as a new array.</summary>
    public byte[] ToBytes()
    {
        byte[] bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Throws unless the handshake is for <paramref name="expected"/>.</summary>
    /// <exception cref="PeerProtocolException">The peer asked for another torrent; drop the connection.</exception>
    public void EnsureInfoHash(InfoHash expected)
    {
        if (InfoHash != expected)
        {
            throw new PeerProtocolException(
                PeerProtocolError.UnknownInfoHash,
                $"The peer asked for torrent {InfoHash.ToHex()}, but this side serves {expected.ToHex()}.");
        }
    }

    /// <summary>
    /// Reads a handshake if all 68 bytes are there; false (nothing consumed, all examined) when
    /// more are needed. A wrong protocol string is rejected as soon as its first wrong byte arrives.
    /// </summary>
    /// <exception cref="PeerProtocolException">Not a BitTorrent handshake; drop the connection.</exception>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out SequencePosition examined, out PeerHandshake? handshake)
    {
        handshake = null;
        consumed = buffer.Start;
        examined = buffer.End;
        Span<byte> bytes = stackalloc byte[Length];
        int available = (int)Math.Min(buffer.Length, Length);
        buffer.Slice(0, available).CopyTo(bytes);
        if (!TryParse(bytes[..available], out handshake))
        {
            return false;
        }

        consumed = examined = buffer.GetPosition(Length);
        return true;
    }

    /// <summary>Reads a handshake from the start of <paramref name="buffer"/>; false when it is shorter than 68 bytes.</summary>
    /// <exception cref="PeerProtocolException">Not a BitTorrent handshake; drop the connection.</exception>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out PeerHandshake? handshake)
    {
        handshake = null;
        int prefix = Math.Min(buffer.Length, ProtocolPrefix.Length);
        if (!buffer[..prefix].SequenceEqual(ProtocolPrefix[..prefix]))
        {
            throw new PeerProtocolException(
                PeerProtocolError.InvalidHandshake,
                "The peer did not start with the BitTorrent handshake (19, \"BitTorrent protocol\").");
        }

        if (buffer.Length < Length)
        {
            return false;
        }

        handshake = new PeerHandshake(
            new InfoHash(buffer.Slice(28, InfoHash.Length)),
            buffer.Slice(48, PeerIdLength),
            BinaryPrimitives.ReadUInt64BigEndian(buffer[20..]));
        return true;
    }
}
