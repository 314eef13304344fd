using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace Murder.Core.Storage;

/// <summary>
/// Writes the entries of one tar stream into a fresh staging directory that this process created.
/// Every name is checked component by component; each parent must be a directory this extraction
/// created (so no file is ever written through a link, whether the archive made it or not);
/// links must resolve inside the staging root; special files are refused.
/// </summary>
internal sealed class StagingExtraction
{
    private const int CopyBufferSize = 256 * 1024;
    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const int DefaultDirectoryMode = 0x1ED; // 0755
    private const int PermissionBits = 0x1FF; // 0777: setuid, setgid and sticky are never restored

    private readonly string _root;
    private readonly string _displayTarget;
    private readonly TarStreamReader _reader;
    private readonly Func<string, long> _freeSpace;
    private readonly Dictionary<string, EntryKind> _entries;
    private readonly List<(string Path, int Depth, int Mode, DateTimeOffset? Time)> _directories = new();
    private long _knownFree = -1;

    public StagingExtraction(string root, string displayTarget, TarStreamReader reader, Func<string, long> freeSpace)
    {
        _root = root;
        _displayTarget = displayTarget;
        _reader = reader;
        _freeSpace = freeSpace;
        // Names equal but for case would overwrite each other on Windows and macOS.
        _entries = new Dictionary<string, EntryKind>(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
    }

    private enum EntryKind
    {
        Directory,
        File,
        SymbolicLink,
    }

    public int Files { get; private set; }

    public int Directories { get; private set; }

    public int SymbolicLinks { get; private set; }

    public int HardLinks { get; private set; }

    public long BytesWritten { get; private set; }

    public void Run(CancellationToken cancellation)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (_reader.Next(cancellation) is TarEntryHeader header)
            {
                Extract(header, buffer, cancellation);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // The gzip trailer (CRC and size) of the last member is checked only when it is read.
        _reader.Drain(cancellation);
        ApplyDirectoryAttributes(cancellation);
    }

    private void Extract(TarEntryHeader header, byte[] buffer, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        string kindProblem = header.TypeFlag switch
        {
            '0' or '7' or '1' or '2' or '5' => string.Empty,
            '3' => "it is a character device",
            '4' => "it is a block device",
            '6' => "it is a FIFO",
            'S' => "it is a GNU sparse file",
            _ => $"its type '{header.TypeFlag}' is not a file, directory or link",
        };
        if (kindProblem.Length > 0)
        {
            throw Unsafe(header.Name, kindProblem);
        }

        string[] parts = SplitName(header.Name, header.Name);
        if (parts.Length == 0)
        {
            if (header.TypeFlag == '5')
            {
                return; // "./": the root itself
            }

            throw Unsafe(header.Name, "it names the root of the archive");
        }

        string relative = string.Join('/', parts);
        EnsureParents(parts, header.Name);
        string full = FullPath(parts);
        if (_entries.TryGetValue(relative, out EntryKind existing))
        {
            if (existing == EntryKind.Directory && header.TypeFlag == '5')
            {
                _directories.Add((full, parts.Length, header.Mode & PermissionBits, header.ModificationTime));
                return;
            }

            throw Unsafe(header.Name, $"it appears twice in the archive (first as a {Describe(existing)})");
        }

        switch (header.TypeFlag)
        {
            case '5':
                CreateDirectory(full);
                _entries.Add(relative, EntryKind.Directory);
                _directories.Add((full, parts.Length, header.Mode & PermissionBits, header.ModificationTime));
                Directories++;
                break;
            case '2':
                CreateSymbolicLink(header, parts, full);
                _entries.Add(relative, EntryKind.SymbolicLink);
                SymbolicLinks++;
                break;
            case '1':
                CopyHardLink(header, relative, full);
                _entries.Add(relative, EntryKind.File);
                HardLinks++;
                break;
            default:
                WriteFile(header, relative, full, buffer, cancellation);
                _entries.Add(relative, EntryKind.File);
                Files++;
                break;
        }
    }

    private void WriteFile(TarEntryHeader header, string relative, string full, byte[] buffer, CancellationToken cancellation)
    {
        _reader.EnsureRoom(header.Size);
        ReserveSpace(header.Size, relative);
        var options = new FileStreamOptions
        {
            // CreateNew: never opens an existing path, and never follows a link planted there.
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            PreallocationSize = header.Size,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var output = new FileStream(full, options))
        {
            int read;
            while ((read = _reader.ReadData(buffer, cancellation)) > 0)
            {
                output.Write(buffer, 0, read);
                BytesWritten += read;
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(full, (UnixFileMode)(header.Mode & PermissionBits));
        }

        File.SetLastWriteTimeUtc(full, header.ModificationTime.UtcDateTime);
    }

    private void CreateSymbolicLink(TarEntryHeader header, string[] parts, string full)
    {
        string target = header.LinkName;
        string? problem = CheckLinkTarget(parts, target, out string resolved);
        if (problem is not null)
        {
            throw Unsafe(header.Name, $"it is a symbolic link to '{target}', which {problem}");
        }

        if (OperatingSystem.IsWindows())
        {
            string windowsTarget = target.Replace('/', '\\');
            if (_entries.TryGetValue(resolved, out EntryKind kind) && kind == EntryKind.Directory)
            {
                Directory.CreateSymbolicLink(full, windowsTarget);
            }
            else
            {
                File.CreateSymbolicLink(full, windowsTarget);
            }

            return;
        }

        File.CreateSymbolicLink(full, target);
    }

    private void CopyHardLink(TarEntryHeader header, string relative, string full)
    {
        string[] targetParts = SplitName(header.LinkName, header.Name);
        string targetRelative = string.Join('/', targetParts);
        if (targetParts.Length == 0 || !_entries.TryGetValue(targetRelative, out EntryKind kind) || kind != EntryKind.File)
        {
            throw Unsafe(header.Name, $"it is a hard link to '{header.LinkName}', which is not a regular file extracted before it");
        }

        // A hard link becomes a copy: the same content without sharing an inode with anything.
        string source = FullPath(targetParts);
        long length = new FileInfo(source).Length;
        _reader.Charge(length);
        ReserveSpace(length, relative);
        File.Copy(source, full, overwrite: false);
        BytesWritten += length;
    }

    /// <summary>
    /// A link target is acceptable when it is relative, its ".." components all come first and do
    /// not climb above the root from the link's own directory (whose components are real
    /// directories created here, so the climb is what the OS does too), and its names are safe.
    /// Descending from there through other links stays inside, because they were checked alike.
    /// </summary>
    private static string? CheckLinkTarget(string[] linkParts, string target, out string resolved)
    {
        resolved = string.Empty;
        if (target.Length == 0)
        {
            return "is empty";
        }

        if (target.Contains('\\', StringComparison.Ordinal))
        {
            return "contains a backslash, a path separator on Windows";
        }

        if (target.StartsWith('/') || (target.Length >= 2 && target[1] == ':'))
        {
            return "is absolute";
        }

        var stack = new List<string>(linkParts[..^1]);
        bool named = false;
        foreach (string part in target.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (named)
                {
                    return "has '..' after a name (it could climb out through another link)";
                }

                if (stack.Count == 0)
                {
                    return "points outside the release";
                }

                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            if (SafePath.CheckComponent(part) is string problem)
            {
                return $"has an unsafe name: {problem}";
            }

            named = true;
            stack.Add(part);
        }

        resolved = string.Join('/', stack);
        return null;
    }

    private void EnsureParents(string[] parts, string entryName)
    {
        for (int depth = 1; depth < parts.Length; depth++)
        {
            string parent = string.Join('/', parts, 0, depth);
            if (_entries.TryGetValue(parent, out EntryKind kind))
            {
                if (kind != EntryKind.Directory)
                {
                    throw Unsafe(entryName, $"its parent '{parent}' is a {Describe(kind)} in the archive; nothing is written through links or files");
                }

                continue;
            }

            string full = FullPath(parts[..depth]);
            CreateDirectory(full);
            _entries.Add(parent, EntryKind.Directory);
            _directories.Add((full, depth, DefaultDirectoryMode, null));
            Directories++;
        }
    }

    private static void CreateDirectory(string full)
    {
        // The path is new (every name is recorded), so this never follows an existing link.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
        }
        else
        {
            Directory.CreateDirectory(full, PrivateDirectoryMode);
        }
    }

    private void ApplyDirectoryAttributes(CancellationToken cancellation)
    {
        // Deepest first, so setting a parent's time or a read-only mode comes after its children.
        _directories.Sort((left, right) => right.Depth.CompareTo(left.Depth));
        foreach ((string path, _, int mode, DateTimeOffset? time) in _directories)
        {
            cancellation.ThrowIfCancellationRequested();
            if (time is DateTimeOffset modified)
            {
                Directory.SetLastWriteTimeUtc(path, modified.UtcDateTime);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)mode);
            }
        }
    }

    private void ReserveSpace(long bytes, string relative)
    {
        if (bytes <= 0)
        {
            return;
        }

        if (_knownFree < bytes)
        {
            _knownFree = _freeSpace(_root);
            if (_knownFree < bytes)
            {
                throw new MurderException(
                    "InsufficientDiskSpace",
                    MurderErrorCategory.WriteError,
                    $"Extracting '{relative}' needs {bytes} more bytes, but only {Math.Max(0, _knownFree)} are free beside '{_displayTarget}' ({BytesWritten} bytes written before it). Free at least {bytes - Math.Max(0, _knownFree)} bytes there, or choose another destination, and run again; the previous release was left as it was.")
                {
                    TargetObject = _displayTarget,
                };
            }
        }

        _knownFree -= bytes;
    }

    private string FullPath(string[] parts) => Path.Combine(_root, string.Join(Path.DirectorySeparatorChar, parts));

    /// <summary>Splits an entry name into safe components ("./" and empty parts dropped).</summary>
    internal static string[] SplitName(string name, string entryName)
    {
        if (name.Length == 0)
        {
            throw Unsafe(entryName, "its name is empty");
        }

        if (name.StartsWith('/'))
        {
            throw Unsafe(entryName, "its path is absolute");
        }

        if (name.Contains('\\', StringComparison.Ordinal))
        {
            throw Unsafe(entryName, "it contains a backslash, a path separator on Windows (an absolute or UNC path there)");
        }

        var parts = new List<string>();
        foreach (string part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (SafePath.CheckComponent(part) is string problem)
            {
                throw Unsafe(entryName, $"'{part}' is not a safe name: {problem}");
            }

            parts.Add(part);
        }

        return parts.ToArray();
    }

    private static string Describe(EntryKind kind) => kind switch
    {
        EntryKind.Directory => "directory",
        EntryKind.SymbolicLink => "symbolic link",
        _ => "file",
    };

    internal static MurderException Unsafe(string entryName, string reason) => new(
        "UnsafeArchiveEntry",
        MurderErrorCategory.InvalidData,
        $"The archive entry '{Printable(entryName)}' is unsafe: {reason}. Nothing was extracted. Murder releases are built with New-MurderTorrent; rebuild the artifact from the source directory.")
    {
        TargetObject = entryName,
    };

    private static string Printable(string name)
    {
        string trimmed = name.Length > 200 ? name[..200] + "..." : name;
        var characters = trimmed.ToCharArray();
        for (int index = 0; index < characters.Length; index++)
        {
            if (char.IsControl(characters[index]))
            {
                characters[index] = '?';
            }
        }

        return new string(characters);
    }
}
