using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using Murder.Core.MetaInfo;
using Murder.Core.PeerWire;

namespace Murder.Fuzz.Targets;

/// <summary>
/// Peer wire parsing for one torrent. The first 4 input bytes choose the torrent's geometry (piece
/// count, piece length, last piece's length); the rest is what a peer sends: a handshake when it
/// starts with byte 19, then length-prefixed messages. PeerHandshake.TryParse and
/// PeerMessageReader.TryRead throw only PeerProtocolException; each message read re-encodes to
/// exactly the bytes it was read from; PeerMessageValidator.Check and Validate agree; and reading
/// the same bytes as they arrive in small chunks over a multi-segment sequence gives the same
/// messages and the same error as reading them from one buffer.
/// </summary>
internal static class PeerWireTarget
{
    private const int GeometryBytes = 4;
    private static readonly int[] HandshakeChunks = { 1, 19, 7, 21, 13 };

    public static void Run(byte[] data)
    {
        if (data.Length < GeometryBytes)
        {
            return;
        }

        int pieceCount = 1 + ((data[0] | (data[1] << 8)) % 4096);
        int pieceLength = (data[2] & 0x80) != 0 ? 1 + ((data[2] & 0x7F) * 97) : PeerWireLimits.BlockLength * (1 + (data[2] & 0x0F));
        int lastPieceLength = 1 + ((data[3] * 131) % pieceLength);
        long totalLength = ((long)(pieceCount - 1) * pieceLength) + lastPieceLength;
        var validator = new PeerMessageValidator(pieceCount, pieceLength, totalLength);
        var reader = new PeerMessageReader(pieceCount);

        ReadOnlyMemory<byte> stream = data.AsMemory(GeometryBytes);
        if (!stream.IsEmpty && stream.Span[0] == 19)
        {
            if (!Handshake(stream))
            {
                return;
            }

            stream = stream[PeerHandshake.Length..];
        }

        List<string> whole = ReadAll(reader, validator, stream);
        List<string> chunked = ReadChunked(reader, stream, ChunkSizes(data));
        FuzzInvariantException.Check(
            whole.SequenceEqual(chunked),
            $"reading in chunks gave [{string.Join("; ", chunked)}] but reading at once gave [{string.Join("; ", whole)}]");
    }

    /// <summary>Parses the handshake; true when one was read and messages follow.</summary>
    private static bool Handshake(ReadOnlyMemory<byte> stream)
    {
        PeerHandshake? fromSpan;
        try
        {
            if (!PeerHandshake.TryParse(stream.Span, out fromSpan))
            {
                FuzzInvariantException.Check(stream.Length < PeerHandshake.Length, "a whole handshake was reported incomplete");
                return false;
            }
        }
        catch (PeerProtocolException error)
        {
            FuzzInvariantException.Check(error.Reason == PeerProtocolError.InvalidHandshake, $"a bad handshake was refused as {error.Reason}");
            return false;
        }

        var sequence = ChunkedSequence.Create(stream, HandshakeChunks);
        FuzzInvariantException.Check(
            PeerHandshake.TryParse(sequence, out SequencePosition consumed, out _, out PeerHandshake? fromSequence) && fromSequence is not null,
            "a handshake read from a span was not read from a sequence");
        FuzzInvariantException.Check(sequence.Slice(sequence.Start, consumed).Length == PeerHandshake.Length, "a handshake did not consume 68 bytes");
        byte[] written = fromSpan!.ToBytes();
        FuzzInvariantException.Check(written.AsSpan().SequenceEqual(stream.Span[..PeerHandshake.Length]), "a handshake does not write back to its bytes");
        FuzzInvariantException.Check(fromSequence!.ToBytes().AsSpan().SequenceEqual(written), "the span and sequence handshakes differ");

        fromSpan.EnsureInfoHash(fromSpan.InfoHash);
        byte[] other = fromSpan.InfoHash.Bytes.ToArray();
        other[0] ^= 0xFF;
        try
        {
            fromSpan.EnsureInfoHash(new InfoHash(other));
            throw new FuzzInvariantException("a handshake for another torrent was accepted");
        }
        catch (PeerProtocolException error)
        {
            FuzzInvariantException.Check(error.Reason == PeerProtocolError.UnknownInfoHash, $"an unknown info-hash was refused as {error.Reason}");
        }

        return true;
    }

    private static List<string> ReadAll(PeerMessageReader reader, PeerMessageValidator validator, ReadOnlyMemory<byte> stream)
    {
        var results = new List<string>();
        int offset = 0;
        try
        {
            while (reader.TryRead(stream[offset..], out int consumed, out PeerMessage message))
            {
                FuzzInvariantException.Check(consumed > 0 && consumed <= stream.Length - offset, $"a message consumed {consumed} bytes");
                CheckRoundTrip(message, stream.Span.Slice(offset, consumed));
                CheckValidator(validator, message);
                results.Add($"{message} [{consumed}]");
                offset += consumed;
            }
        }
        catch (PeerProtocolException error)
        {
            FuzzInvariantException.Check(error.Reason != PeerProtocolError.None && error.ErrorId == PeerProtocolException.ProtocolErrorId, "a framing error without a reason");
            results.Add($"error {error.Reason}");
        }

        return results;
    }

    /// <summary>Feeds the bytes as a peer's socket would deliver them: a growing multi-segment buffer.</summary>
    private static List<string> ReadChunked(PeerMessageReader reader, ReadOnlyMemory<byte> stream, int[] sizes)
    {
        var results = new List<string>();
        int start = 0;
        int received = 0;
        int chunk = 0;
        try
        {
            while (received < stream.Length)
            {
                received = Math.Min(stream.Length, received + sizes[chunk++ % sizes.Length]);
                while (true)
                {
                    ReadOnlySequence<byte> buffer = ChunkedSequence.Create(stream[start..received], sizes);
                    if (!reader.TryRead(buffer, out SequencePosition consumed, out SequencePosition examined, out PeerMessage message))
                    {
                        FuzzInvariantException.Check(buffer.Slice(buffer.Start, consumed).Length == 0 && buffer.Slice(examined).Length == 0, "an incomplete read consumed bytes or left some unexamined");
                        break;
                    }

                    long length = buffer.Slice(buffer.Start, consumed).Length;
                    results.Add($"{message} [{length}]");
                    start += (int)length;
                }
            }
        }
        catch (PeerProtocolException error)
        {
            results.Add($"error {error.Reason}");
        }

        return results;
    }

    private static void CheckRoundTrip(in PeerMessage message, ReadOnlySpan<byte> wire)
    {
        byte[] buffer = new byte[wire.Length];
        int written = message.Kind switch
        {
            PeerMessageKind.KeepAlive => PeerMessageWriter.WriteKeepAlive(buffer),
            PeerMessageKind.Choke or PeerMessageKind.Unchoke or PeerMessageKind.Interested or PeerMessageKind.NotInterested => PeerMessageWriter.WriteState(buffer, message.Kind),
            PeerMessageKind.Have => PeerMessageWriter.WriteHave(buffer, message.Index),
            PeerMessageKind.Request => PeerMessageWriter.WriteRequest(buffer, message.Index, message.Begin, message.Length),
            PeerMessageKind.Cancel => PeerMessageWriter.WriteCancel(buffer, message.Index, message.Begin, message.Length),
            PeerMessageKind.Piece => PeerMessageWriter.WritePiece(buffer, message.Index, message.Begin, message.Payload.ToArray()),
            PeerMessageKind.Port => PeerMessageWriter.WritePort(buffer, message.Port),
            _ => -1, // bitfield, extended, unknown: the payload is the wire bytes after the id
        };

        if (written < 0)
        {
            FuzzInvariantException.Check(message.Payload.Length == wire.Length - 5 && message.Payload.ToArray().AsSpan().SequenceEqual(wire[5..]), $"'{message}' does not carry the bytes after its id");
            return;
        }

        FuzzInvariantException.Check(written == wire.Length && buffer.AsSpan().SequenceEqual(wire), $"'{message}' does not write back to the {wire.Length} bytes it was read from");
    }

    private static void CheckValidator(PeerMessageValidator validator, in PeerMessage message)
    {
        PeerProtocolError verdict = validator.Check(message);
        try
        {
            validator.Validate(message);
            FuzzInvariantException.Check(verdict == PeerProtocolError.None, $"Validate accepted '{message}', which Check refused as {verdict}");
        }
        catch (PeerProtocolException error)
        {
            FuzzInvariantException.Check(error.Reason == verdict && verdict != PeerProtocolError.None, $"Validate refused '{message}' as {error.Reason}, Check said {verdict}");
        }
    }

    /// <summary>Deterministic chunk sizes from the input, so a crash replays exactly.</summary>
    private static int[] ChunkSizes(byte[] data)
    {
        uint state = 2166136261;
        foreach (byte value in data)
        {
            state = (state ^ value) * 16777619;
        }

        int[] sizes = new int[7];
        for (int index = 0; index < sizes.Length; index++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            sizes[index] = 1 + (int)(state % (index % 2 == 0 ? 5u : 300u));
        }

        return sizes;
    }
}
