using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// A deploy ledger as bytes (one file per torrent in the tracker's state directory): a header,
/// the entries in version order, and a SHA-256 of everything before it, so a torn or altered file
/// is recognised and never half-loaded. Reading checks every length and value against the same
/// limits as reports.
/// </summary>
internal static class LedgerFile
{
    /// <summary>The file name extension.</summary>
    public const string Extension = ".ledger";

    private const int HashLength = 32;
    private const int MaxNameBytes = 4096;
    private static ReadOnlySpan<byte> Magic => "MLEDGER1"u8;

    /// <summary>Writes <paramref name="ledger"/> (the caller holds its lock) into <paramref name="output"/>.</summary>
    public static void Write(DeployLedger ledger, ArrayBufferWriter<byte> output)
    {
        int start = output.WrittenCount;
        output.Write(Magic);
        Span<byte> hash = stackalloc byte[Hash20.Length];
        ledger.InfoHash.CopyTo(hash);
        output.Write(hash);
        WriteInt64(output, ledger.Version);
        WriteInt64(output, ledger.FirstTicks);
        WriteInt64(output, ledger.LastTicks);
        WriteInt64(output, ledger.RegisteredSize);
        byte[]? name = ledger.Name is null ? null : Encoding.UTF8.GetBytes(ledger.Name);
        WriteInt32(output, name is null ? -1 : Math.Min(name.Length, MaxNameBytes));
        output.Write(name is null ? default : name.AsSpan(0, Math.Min(name.Length, MaxNameBytes)));
        WriteInt32(output, ledger.Count);
        int[] indexes = ArrayPool<int>.Shared.Rent(Math.Max(ledger.Count, 1));
        try
        {
            int count = ledger.CollectAll(indexes.AsSpan(0, ledger.Count));
            foreach (int index in indexes.AsSpan(0, count))
            {
                WriteEntry(output, ledger[index]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indexes);
        }

        Span<byte> digest = stackalloc byte[HashLength];
        SHA256.HashData(output.WrittenSpan[start..], digest);
        output.Write(digest);
    }

    /// <summary>
    /// Reads a ledger written by <see cref="Write"/>. Throws <see cref="FormatException"/> for
    /// anything torn, altered or out of range, or holding more than <paramref name="maxHosts"/> hosts.
    /// </summary>
    public static DeployLedger Read(ReadOnlySpan<byte> bytes, int maxHosts)
    {
        if (bytes.Length < Magic.Length + HashLength || !bytes.StartsWith(Magic))
        {
            throw new FormatException("It is not a deploy ledger file.");
        }

        Span<byte> digest = stackalloc byte[HashLength];
        SHA256.HashData(bytes[..^HashLength], digest);
        if (!digest.SequenceEqual(bytes[^HashLength..]))
        {
            throw new FormatException("Its checksum does not match: the file is torn or was altered.");
        }

        var reader = new Reader(bytes[Magic.Length..^HashLength]);
        Hash20 infoHash = Hash20.Read(reader.Bytes(Hash20.Length));
        long version = reader.NonNegative();
        long first = reader.Ticks();
        long last = reader.Ticks();
        long size = reader.NonNegative();
        int nameLength = reader.Int32();
        string? name = nameLength switch
        {
            -1 => null,
            >= 0 and <= MaxNameBytes => Encoding.UTF8.GetString(reader.Bytes(nameLength)),
            _ => throw new FormatException("The name's length is out of range."),
        };
        int count = reader.Int32();
        if (count < 0 || count > maxHosts)
        {
            throw new FormatException($"It holds {count} hosts; the limit is {maxHosts}.");
        }

        var ledger = new DeployLedger(infoHash, name, size, first);
        ledger.RestoreHeader(version, first, last);
        for (int i = 0; i < count; i++)
        {
            ledger.Restore(ReadEntry(ref reader));
        }

        if (!reader.AtEnd)
        {
            throw new FormatException("It has bytes after its last entry.");
        }

        return ledger;
    }

    private static void WriteEntry(ArrayBufferWriter<byte> output, in LedgerEntry entry)
    {
        Span<byte> head = output.GetSpan(4 + 16 + 1);
        head[0] = (byte)entry.Host.Length;
        head[1] = (byte)entry.Role;
        head[2] = (byte)entry.Stage;
        head[3] = (byte)entry.Address.ByteLength;
        entry.Address.Write(head[4..]);
        output.Advance(4 + entry.Address.ByteLength);
        output.Write(entry.Host);
        WriteInt64(output, entry.FirstTicks);
        WriteInt64(output, entry.LastTicks);
        WriteInt64(output, entry.Downloaded);
        WriteInt64(output, entry.Left);
        WriteInt64(output, entry.Rate);
        WriteInt64(output, entry.Version);
        WriteInt32(output, entry.ErrorId?.Length ?? 0);
        output.Write(entry.ErrorId);
        WriteInt32(output, entry.Message?.Length ?? 0);
        output.Write(entry.Message);
    }

    private static LedgerEntry ReadEntry(ref Reader reader)
    {
        ReadOnlySpan<byte> head = reader.Bytes(4);
        if (head[0] == 0 || head[1] > (byte)LedgerRole.Seeder || head[2] >= LedgerNames.StageCount || head[3] is not (4 or 16))
        {
            throw new FormatException("An entry's host length, role, stage or address family is out of range.");
        }

        var entry = new LedgerEntry
        {
            Role = (LedgerRole)head[1],
            Stage = (LedgerStage)head[2],
            Address = PeerAddress.Read(reader.Bytes(head[3])),
        };
        ReadOnlySpan<byte> host = reader.Bytes(head[0]);
        if (!LedgerQueryParser.IsPrintableUtf8(host, allowLineBreaks: false))
        {
            throw new FormatException("An entry's host is not printable UTF-8.");
        }

        entry.Host = host.ToArray();
        entry.FirstTicks = reader.Ticks();
        entry.LastTicks = reader.Ticks();
        entry.Downloaded = reader.NonNegative();
        entry.Left = reader.NonNegative();
        entry.Rate = reader.NonNegative();
        entry.Version = reader.NonNegative();
        int errorIdLength = reader.Int32();
        ReadOnlySpan<byte> errorId = errorIdLength is >= 0 and <= LedgerQueryParser.MaxErrorIdLength ? reader.Bytes(errorIdLength) : throw new FormatException("An entry's error id length is out of range.");
        int messageLength = reader.Int32();
        ReadOnlySpan<byte> message = messageLength is >= 0 and <= LedgerQueryParser.MaxMessageBytes ? reader.Bytes(messageLength) : throw new FormatException("An entry's message length is out of range.");
        if ((!errorId.IsEmpty && !LedgerQueryParser.IsErrorId(errorId)) || !LedgerQueryParser.IsPrintableUtf8(message, allowLineBreaks: true))
        {
            throw new FormatException("An entry's error id or message is malformed.");
        }

        entry.ErrorId = errorId.IsEmpty ? null : errorId.ToArray();
        entry.Message = message.IsEmpty ? null : message.ToArray();
        return entry;
    }

    private static void WriteInt64(ArrayBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    /// <summary>A bounds-checked cursor: running past the end is a <see cref="FormatException"/>.</summary>
    private ref struct Reader
    {
        private ReadOnlySpan<byte> _rest;

        public Reader(ReadOnlySpan<byte> bytes)
        {
            _rest = bytes;
        }

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(int length)
        {
            if (length > _rest.Length)
            {
                throw new FormatException("The file ends early.");
            }

            ReadOnlySpan<byte> bytes = _rest[..length];
            _rest = _rest[length..];
            return bytes;
        }

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

        public long NonNegative()
        {
            long value = BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));
            return value >= 0 ? value : throw new FormatException("A count or size is negative.");
        }

        public long Ticks()
        {
            long value = BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));
            return value >= 0 && value <= DateTime.MaxValue.Ticks ? value : throw new FormatException("A time is out of range.");
        }
    }
}
