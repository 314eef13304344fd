using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace Murder.Core.Storage;

/// <summary>
/// A streaming, bounded tar reader (POSIX ustar with PAX records, GNU long names). Unlike
/// System.Formats.Tar.TarReader, whose limit on metadata entries depends on the runtime, every
/// metadata entry is bounded here before anything is allocated for it, and every byte read counts
/// against <see cref="Limit"/> (a decompression bomb stops there). Headers must be read in order:
/// <see cref="Next"/> skips whatever data of the previous entry was not read.
/// </summary>
internal sealed class TarStreamReader
{
    public const int BlockSize = 512;

    private readonly Stream _stream;
    private readonly int _maxMetadataBytes;
    private readonly byte[] _block = new byte[BlockSize];
    private long _remaining;
    private int _padding;
    private bool _ended;

    public TarStreamReader(Stream stream, long limit, int maxMetadataBytes)
    {
        _stream = stream;
        Limit = limit;
        _maxMetadataBytes = maxMetadataBytes;
    }

    /// <summary>The most bytes the archive may expand to (tar stream plus <see cref="Charge"/>d bytes).</summary>
    public long Limit { get; }

    /// <summary>The bytes counted against <see cref="Limit"/> so far.</summary>
    public long BytesCounted { get; private set; }

    /// <summary>Counts bytes produced outside the stream (hard links copied) against the limit.</summary>
    public void Charge(long bytes)
    {
        BytesCounted += bytes;
        if (BytesCounted > Limit)
        {
            throw TooLarge();
        }
    }

    /// <summary>Fails at once when an entry announces more data than the limit leaves.</summary>
    public void EnsureRoom(long bytes)
    {
        if (bytes > Limit - BytesCounted)
        {
            throw TooLarge();
        }
    }

    /// <summary>The next entry, or null at the end-of-archive marker.</summary>
    public TarEntryHeader? Next(CancellationToken cancellation)
    {
        if (_ended)
        {
            return null;
        }

        Skip(_remaining + _padding, cancellation);
        _remaining = 0;
        _padding = 0;
        string? paxPath = null;
        string? paxLinkPath = null;
        long? paxSize = null;
        DateTimeOffset? paxTime = null;
        string? gnuLongName = null;
        string? gnuLongLink = null;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            if (!ReadBlock(atEntryBoundary: true))
            {
                throw Corrupt("it ends without the end-of-archive marker (the file is truncated)");
            }

            if (!_block.AsSpan().ContainsAnyExcept((byte)0))
            {
                // End of archive: two zero blocks (POSIX). Requiring the second catches a stream
                // cut short inside the marker; what follows it is not read as entries.
                if (!ReadBlock(atEntryBoundary: true) || _block.AsSpan().ContainsAnyExcept((byte)0))
                {
                    throw Corrupt("its end-of-archive marker is incomplete (the file is truncated or damaged)");
                }

                _ended = true;
                return null;
            }

            VerifyChecksum();
            char type = (char)_block[156];
            long size = ParseNumber(_block.AsSpan(124, 12), "size");
            if (type is 'x' or 'g' or 'L' or 'K')
            {
                if (size > _maxMetadataBytes)
                {
                    throw new MurderException(
                        "UnsafeArchiveEntry",
                        MurderErrorCategory.InvalidData,
                        $"The archive is unsafe: it has a metadata entry (type '{type}') of {size} bytes, over the limit of {_maxMetadataBytes}. It is not a Murder release or it was built to exhaust memory; rebuild it with New-MurderTorrent.");
                }

                byte[] data = ReadMetadata((int)size, cancellation);
                switch (type)
                {
                    case 'x':
                        ParsePax(data, ref paxPath, ref paxLinkPath, ref paxSize, ref paxTime);
                        break;
                    case 'L':
                        gnuLongName = CString(data);
                        break;
                    case 'K':
                        gnuLongLink = CString(data);
                        break;
                    default:
                        // Global PAX records ('g') carry nothing Murder applies.
                        break;
                }

                continue;
            }

            string name = CString(_block.AsSpan(0, 100));
            bool posix = _block.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
            string prefix = posix ? CString(_block.AsSpan(345, 155)) : string.Empty;
            if (prefix.Length > 0)
            {
                name = prefix + "/" + name;
            }

            int mode = (int)Math.Min(ParseNumber(_block.AsSpan(100, 8), "mode"), int.MaxValue);
            long seconds = ParseNumber(_block.AsSpan(136, 12), "mtime");
            DateTimeOffset time = paxTime ?? FromUnixSeconds(seconds);
            size = paxSize ?? size;
            if (type is '1' or '2' or '3' or '4' or '5' or '6')
            {
                // No data section, whatever the size field says (as GNU tar reads it).
                size = 0;
            }

            _remaining = size;
            _padding = (int)((BlockSize - (size % BlockSize)) % BlockSize);
            return new TarEntryHeader(
                paxPath ?? gnuLongName ?? name,
                type == '\0' ? '0' : type,
                size,
                mode,
                time,
                paxLinkPath ?? gnuLongLink ?? CString(_block.AsSpan(157, 100)));
        }
    }

    /// <summary>Reads data of the current entry; 0 at its end.</summary>
    public int ReadData(Span<byte> buffer, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        if (_remaining == 0)
        {
            return 0;
        }

        Span<byte> target = buffer[..(int)Math.Min(buffer.Length, _remaining)];
        int read = _stream.Read(target);
        if (read == 0)
        {
            throw Corrupt("an entry's data stops before its end (the file is truncated)");
        }

        Count(read);
        _remaining -= read;
        return read;
    }

    /// <summary>Reads what follows the end-of-archive marker to the end, so the gzip trailer is checked.</summary>
    public void Drain(CancellationToken cancellation)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = _stream.Read(buffer)) > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                Count(read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool ReadBlock(bool atEntryBoundary)
    {
        int total = 0;
        while (total < BlockSize)
        {
            int read = _stream.Read(_block, total, BlockSize - total);
            if (read == 0)
            {
                if (total == 0 && atEntryBoundary)
                {
                    return false;
                }

                throw Corrupt("a header stops in the middle (the file is truncated)");
            }

            total += read;
            Count(read);
        }

        return true;
    }

    private byte[] ReadMetadata(int size, CancellationToken cancellation)
    {
        byte[] data = new byte[size];
        int total = 0;
        while (total < size)
        {
            cancellation.ThrowIfCancellationRequested();
            int read = _stream.Read(data, total, size - total);
            if (read == 0)
            {
                throw Corrupt("a metadata entry stops in the middle (the file is truncated)");
            }

            total += read;
            Count(read);
        }

        Skip((BlockSize - (size % BlockSize)) % BlockSize, cancellation);
        return data;
    }

    private void Skip(long bytes, CancellationToken cancellation)
    {
        if (bytes == 0)
        {
            return;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(bytes, 64 * 1024));
        try
        {
            while (bytes > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                int read = _stream.Read(buffer, 0, (int)Math.Min(bytes, buffer.Length));
                if (read == 0)
                {
                    throw Corrupt("an entry's data stops before its end (the file is truncated)");
                }

                Count(read);
                bytes -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Count(int bytes)
    {
        BytesCounted += bytes;
        if (BytesCounted > Limit)
        {
            throw TooLarge();
        }
    }

    private void VerifyChecksum()
    {
        long stored = ParseNumber(_block.AsSpan(148, 8), "checksum");
        long sum = 0;
        for (int index = 0; index < BlockSize; index++)
        {
            sum += index is >= 148 and < 156 ? (byte)' ' : _block[index];
        }

        if (sum != stored)
        {
            throw Corrupt("a header's checksum does not match (the data is damaged or not a tar archive)");
        }
    }

    private static long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if ((field[0] & 0x80) != 0)
        {
            // GNU base-256: a big-endian two's complement number; Murder accepts only small positive ones.
            // The 8-byte fields (mode, checksum) have only 7 bytes after the marker.
            ReadOnlySpan<byte> number = field[1..];
            int excess = Math.Max(0, number.Length - 8);
            if (field[0] != 0x80 || number[..excess].ContainsAnyExcept((byte)0) || (number.Length - excess == 8 && (number[excess] & 0x80) != 0))
            {
                throw Corrupt($"a header's {what} field is negative or too large");
            }

            long value = 0;
            foreach (byte part in number[excess..])
            {
                value = (value << 8) | part;
            }

            return value;
        }

        long result = 0;
        int position = 0;
        while (position < field.Length && field[position] == (byte)' ')
        {
            position++;
        }

        int digits = 0;
        for (; position < field.Length; position++)
        {
            byte character = field[position];
            if (character is (byte)' ' or 0)
            {
                break;
            }

            if (character is < (byte)'0' or > (byte)'7' || digits >= 21)
            {
                throw Corrupt($"a header's {what} field is not an octal number");
            }

            result = (result * 8) + (character - '0');
            digits++;
        }

        return result;
    }

    private static void ParsePax(byte[] data, ref string? path, ref string? linkPath, ref long? size, ref DateTimeOffset? time)
    {
        int position = 0;
        while (position < data.Length)
        {
            // A record is "<length> <key>=<value>\n", the length counting the whole record.
            int space = Array.IndexOf(data, (byte)' ', position);
            if (space < 0 || !int.TryParse(data.AsSpan(position, space - position), NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                || length <= space - position + 1 || length > data.Length - position || data[position + length - 1] != (byte)'\n')
            {
                throw Corrupt("a PAX header record is malformed");
            }

            ReadOnlySpan<byte> record = data.AsSpan(space + 1, position + length - space - 2);
            int equals = record.IndexOf((byte)'=');
            if (equals <= 0)
            {
                throw Corrupt("a PAX header record has no key");
            }

            string key = Encoding.UTF8.GetString(record[..equals]);
            ReadOnlySpan<byte> value = record[(equals + 1)..];
            switch (key)
            {
                case "path":
                    path = Encoding.UTF8.GetString(value);
                    break;
                case "linkpath":
                    linkPath = Encoding.UTF8.GetString(value);
                    break;
                case "size":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long parsedSize))
                    {
                        throw Corrupt("a PAX size record is not a number");
                    }

                    size = parsedSize;
                    break;
                case "mtime":
                    if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out decimal seconds)
                        && seconds > -62135596800m && seconds < 253402300799m)
                    {
                        time = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
                    }

                    break;
                default:
                    break;
            }

            position += length;
        }
    }

    private static DateTimeOffset FromUnixSeconds(long seconds) =>
        seconds is > -62135596800 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.UnixEpoch;

    private static string CString(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private MurderException TooLarge() => new(
        "ArchiveTooLarge",
        MurderErrorCategory.LimitsExceeded,
        $"The archive expands past {Limit} bytes, the limit for an artifact of its size; it may be a decompression bomb. If it is a genuine release, raise the limit (MaxExtractedBytes) or rebuild it with New-MurderTorrent.");

    private static MurderException Corrupt(string reason) => new(
        "ArchiveCorrupt",
        MurderErrorCategory.InvalidData,
        $"The artifact is not a valid .tgz: {reason}. Download it again (its pieces are verified against the torrent) or rebuild it with New-MurderTorrent.");
}
