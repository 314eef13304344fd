using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Threading;

namespace Murder.Core.Packaging;

/// <summary>
/// The entries of a directory to pack, in a stable order (ordinal by name, parents first). As
/// Murder's <c>tar --exclude ".git*"</c>, anything whose name starts with ".git" is left out.
/// Symbolic links must stay inside the tree (peers refuse anything else); special files (FIFOs,
/// devices, sockets) are skipped and reported.
/// </summary>
public sealed class SourceTree
{
    private SourceTree(string root, List<SourceEntry> entries, List<string> skipped)
    {
        Root = root;
        Entries = entries;
        Skipped = skipped;
        foreach (SourceEntry entry in entries)
        {
            TotalFileBytes += entry.Length;
            if (entry.Kind == SourceEntryKind.File)
            {
                FileCount++;
            }
        }
    }

    /// <summary>The directory packed.</summary>
    public string Root { get; }

    /// <summary>Everything to pack, in order.</summary>
    public IReadOnlyList<SourceEntry> Entries { get; }

    /// <summary>Special files left out, as relative names with the reason.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>The sum of the regular files' lengths.</summary>
    public long TotalFileBytes { get; }

    /// <summary>How many regular files there are.</summary>
    public int FileCount { get; }

    /// <summary>An upper estimate of the tar stream's size: data plus headers and padding.</summary>
    public long EstimatedTarBytes => TotalFileBytes + (Entries.Count * 2048L) + 1024;

    /// <summary>Whether a name is left out as Murder leaves it out.</summary>
    public static bool IsExcluded(string name) => name.StartsWith(".git", StringComparison.Ordinal);

    /// <summary>Scans a directory. <paramref name="excludedPaths"/> are full paths never packed (the output itself).</summary>
    public static SourceTree Scan(string root, IReadOnlyCollection<string> excludedPaths, CancellationToken cancellation)
    {
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var excluded = new HashSet<string>(excludedPaths, OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        var entries = new List<SourceEntry>();
        var skipped = new List<string>();
        var pending = new Stack<(DirectoryInfo Directory, string Prefix)>();
        pending.Push((new DirectoryInfo(fullRoot), string.Empty));
        while (pending.Count > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            (DirectoryInfo directory, string prefix) = pending.Pop();
            FileSystemInfo[] children = ListChildren(directory);
            Array.Sort(children, (left, right) => string.CompareOrdinal(left.Name, right.Name));
            var subdirectories = new List<(DirectoryInfo, string)>();
            foreach (FileSystemInfo child in children)
            {
                if (IsExcluded(child.Name) || excluded.Contains(child.FullName))
                {
                    continue;
                }

                string name = prefix + child.Name;
                if (child.LinkTarget is string target)
                {
                    CheckLinkTarget(name, target);
                    entries.Add(new SourceEntry(child.FullName, name, SourceEntryKind.SymbolicLink, 0, target));
                }
                else if (child is DirectoryInfo childDirectory)
                {
                    entries.Add(new SourceEntry(child.FullName, name, SourceEntryKind.Directory, 0, null));
                    subdirectories.Add((childDirectory, name + "/"));
                }
                else if (child is FileInfo file)
                {
                    if (file.Length == 0 && !IsRegularFile(file.FullName))
                    {
                        skipped.Add(name + " (not a regular file: a FIFO, socket or device)");
                        continue;
                    }

                    entries.Add(new SourceEntry(child.FullName, name, SourceEntryKind.File, file.Length, null));
                }
            }

            // Push in reverse so the walk visits directories in name order (depth first).
            for (int index = subdirectories.Count - 1; index >= 0; index--)
            {
                pending.Push(subdirectories[index]);
            }
        }

        return new SourceTree(fullRoot, OrderDepthFirst(entries), skipped);
    }

    private static List<SourceEntry> OrderDepthFirst(List<SourceEntry> entries)
    {
        // Entries were gathered level by level; a stable ordinal sort on the '/'-split name puts each
        // directory's contents right after it, the order tar itself produces.
        var ordered = new List<SourceEntry>(entries);
        ordered.Sort((left, right) => ComparePaths(left.EntryName, right.EntryName));
        return ordered;
    }

    private static int ComparePaths(string left, string right)
    {
        int length = Math.Min(left.Length, right.Length);
        for (int index = 0; index < length; index++)
        {
            char a = left[index];
            char b = right[index];
            if (a == b)
            {
                continue;
            }

            // '/' sorts before every other character, so "a/x" comes right after "a".
            if (a == '/')
            {
                return -1;
            }

            if (b == '/')
            {
                return 1;
            }

            return a.CompareTo(b);
        }

        return left.Length.CompareTo(right.Length);
    }

    private static FileSystemInfo[] ListChildren(DirectoryInfo directory)
    {
        try
        {
            return directory.GetFileSystemInfos();
        }
        catch (Exception error) when (error is UnauthorizedAccessException or IOException)
        {
            throw new MurderException(
                "SourceUnreadable",
                MurderErrorCategory.ReadError,
                $"Cannot list '{directory.FullName}': {error.Message} Check the permissions of the directory to pack.",
                error)
            {
                TargetObject = directory.FullName,
            };
        }
    }

    private static void CheckLinkTarget(string name, string target)
    {
        string normalized = target.Replace('\\', '/');
        bool absolute = normalized.StartsWith('/') || Path.IsPathRooted(target) || (normalized.Length >= 2 && normalized[1] == ':');
        int depth = name.Split('/').Length - 1; // directories above the link, inside the tree
        bool escapes = false;
        if (!absolute)
        {
            foreach (string part in normalized.Split('/'))
            {
                if (part == "..")
                {
                    depth--;
                    if (depth < 0)
                    {
                        escapes = true;
                        break;
                    }
                }
                else if (part.Length > 0 && part != ".")
                {
                    depth++;
                }
            }
        }

        if (absolute || escapes)
        {
            throw new MurderException(
                "UnsafeSymbolicLink",
                MurderErrorCategory.InvalidData,
                $"The symbolic link '{name}' points to '{target}', outside the directory being packed. Peers refuse such links when extracting; replace it with a relative link inside the directory, or with a copy of the file.")
            {
                TargetObject = name,
            };
        }
    }

    private static bool IsRegularFile(string path)
    {
        // FileInfo reports FIFOs and devices as ordinary zero-length files. TarWriter's own lstat
        // tells them apart on every platform, so ask it for the entry it would write.
        using var scratch = new MemoryStream();
        using (var writer = new TarWriter(scratch, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(path, "probe");
        }

        scratch.Position = 0;
        using var reader = new TarReader(scratch);
        TarEntry? entry = reader.GetNextEntry();
        return entry is not null && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;
    }
}
