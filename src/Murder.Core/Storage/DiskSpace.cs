using System;
using System.IO;

namespace Murder.Core.Storage;

/// <summary>Free space where a path lives, and whether an I/O error means the disk is full.</summary>
public static class DiskSpace
{
    /// <summary>
    /// Bytes available to this user on the file system holding <paramref name="directory"/> (an
    /// existing directory). On Unix this asks about the directory itself, so a mount below '/' is
    /// seen; on Windows about its drive.
    /// </summary>
    public static long AvailableBytes(string directory)
    {
        string drive = OperatingSystem.IsWindows() ? Path.GetPathRoot(Path.GetFullPath(directory))! : directory;
        return new DriveInfo(drive).AvailableFreeSpace;
    }

    /// <summary>Whether an error is a full disk or quota: ENOSPC and EDQUOT on Unix, ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException error) =>
        error.HResult is 28 or 122 or unchecked((int)0x80070070) or unchecked((int)0x80070027);
}
