using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Murder.Core.Storage;

/// <summary>
/// Linux direct I/O (O_DIRECT): reads and writes that bypass the page cache. A deploy moves the
/// artifact through every host once; through the page cache it would take twice its size of the
/// host's memory (download and extraction) from whatever the host's services keep cached, and on
/// virtual machines whose hypervisor takes freed memory back, every fresh page costs a fault in
/// the hypervisor (measured here: 2 to 5 CPU seconds per GB written). Elsewhere, and on file systems
/// that refuse direct I/O, callers use ordinary buffered I/O.
/// </summary>
internal static partial class UncachedIo
{
    /// <summary>Offsets, lengths and buffer addresses of direct I/O are multiples of this.</summary>
    internal const int Alignment = 4096;

    private const int ReadOnly = 0;
    private const int ReadWrite = 2;
    private const int CloseOnExec = 0x80000;

    /// <summary>The environment variable that turns direct I/O off when set to 0 (storage that misbehaves with it, comparisons).</summary>
    internal const string Variable = "MURDER_DIRECT_IO";

    /// <summary>Whether direct I/O is tried at all; tests set it to false to exercise the buffered paths on Linux too.</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable(Variable) != "0";

    /// <summary>O_DIRECT's value, which differs between architectures; 0 where unknown.</summary>
    private static int DirectFlag => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    /// <summary>
    /// Opens an existing file for direct I/O, or returns null where that is not available (not
    /// Linux, an unknown architecture, a file system that refuses O_DIRECT).
    /// </summary>
    internal static SafeFileHandle? TryOpen(string path, bool writable)
    {
        if (!Enabled || !OperatingSystem.IsLinux() || DirectFlag == 0)
        {
            return null;
        }

        int descriptor = Open(path, (writable ? ReadWrite : ReadOnly) | DirectFlag | CloseOnExec, 0);
        return descriptor < 0 ? null : new SafeFileHandle((IntPtr)descriptor, ownsHandle: true);
    }

    internal static bool IsAligned(long value) => value % Alignment == 0;

    internal static long RoundUp(long value) => (value + Alignment - 1) / Alignment * Alignment;

    /// <summary>
    /// A buffer whose start is aligned for direct I/O: a pinned array (it never moves) sliced at
    /// the first aligned address.
    /// </summary>
    internal static Memory<byte> AllocateAligned(int length)
    {
        byte[] array = GC.AllocateUninitializedArray<byte>(length + Alignment, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0).ToInt64();
        int skip = (int)((Alignment - (address % Alignment)) % Alignment);
        return array.AsMemory(skip, length);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);
}

/// <summary>
/// Reads a file from start to end through direct I/O in large aligned chunks (the extraction of a
/// downloaded artifact): nothing of it stays in the page cache.
/// </summary>
internal sealed class UncachedReadStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly Memory<byte> _buffer;
    private readonly long _length;
    private long _fileOffset;
    private int _bufferOffset;
    private int _bufferCount;

    private UncachedReadStream(SafeFileHandle handle, long length, int bufferSize)
    {
        _handle = handle;
        _length = length;
        _buffer = UncachedIo.AllocateAligned(bufferSize);
    }

    /// <summary>A direct-I/O stream over the file, or an ordinary sequential FileStream where direct I/O is not available.</summary>
    internal static Stream Open(string path, int bufferSize)
    {
        SafeFileHandle? handle = UncachedIo.TryOpen(path, writable: false);
        if (handle is null)
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);
        }

        try
        {
            return new UncachedReadStream(handle, RandomAccess.GetLength(handle), (int)UncachedIo.RoundUp(bufferSize));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _fileOffset - _bufferCount + _bufferOffset;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_bufferOffset == _bufferCount)
        {
            if (_fileOffset >= _length)
            {
                return 0;
            }

            // Aligned offset, aligned length; the last read returns what is left of the file.
            int read = RandomAccess.Read(_handle, _buffer.Span, _fileOffset);
            if (read == 0)
            {
                throw new EndOfStreamException("The file ended before its length; it was truncated while being read.");
            }

            _fileOffset += read;
            _bufferOffset = 0;
            _bufferCount = read;
        }

        int count = Math.Min(buffer.Length, _bufferCount - _bufferOffset);
        _buffer.Span.Slice(_bufferOffset, count).CopyTo(buffer);
        _bufferOffset += count;
        return count;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }

        base.Dispose(disposing);
    }
}
