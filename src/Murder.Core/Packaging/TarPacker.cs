using System;
using System.Formats.Tar;
using System.IO;
using System.Threading;

namespace Murder.Core.Packaging;

/// <summary>Writes a <see cref="SourceTree"/> as a POSIX (PAX) tar stream.</summary>
internal static class TarPacker
{
    private const UnixFileMode DefaultFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DefaultDirectoryMode = DefaultFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static void Write(SourceTree tree, Stream output, CancellationToken cancellation)
    {
        if (tree.Entries.Count == 0)
        {
            // TarWriter writes nothing for no entries; an empty archive is two zero blocks.
            output.Write(new byte[1024]);
            return;
        }

        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (SourceEntry source in tree.Entries)
        {
            cancellation.ThrowIfCancellationRequested();
            switch (source.Kind)
            {
                case SourceEntryKind.Directory:
                    writer.WriteEntry(Describe(new PaxTarEntry(TarEntryType.Directory, source.EntryName + "/"), source, DefaultDirectoryMode));
                    break;
                case SourceEntryKind.SymbolicLink:
                    writer.WriteEntry(Describe(new PaxTarEntry(TarEntryType.SymbolicLink, source.EntryName) { LinkName = source.LinkTarget! }, source, DefaultDirectoryMode));
                    break;
                default:
                    WriteFile(writer, source);
                    break;
            }
        }
    }

    private static void WriteFile(TarWriter writer, SourceEntry source)
    {
        FileStream data;
        try
        {
            data = new FileStream(source.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception error) when (error is UnauthorizedAccessException or IOException)
        {
            throw new MurderException(
                "SourceUnreadable",
                MurderErrorCategory.ReadError,
                $"Cannot read '{source.FullPath}': {error.Message} Check its permissions, or move it out of the directory being packed.",
                error)
            {
                TargetObject = source.FullPath,
            };
        }

        using (data)
        {
            if (data.Length != source.Length)
            {
                throw new MurderException(
                    "SourceChanged",
                    MurderErrorCategory.InvalidData,
                    $"'{source.FullPath}' changed size while it was being packed ({source.Length} bytes, now {data.Length}). Pack a directory that is not being written to.")
                {
                    TargetObject = source.FullPath,
                };
            }

            var entry = Describe(new PaxTarEntry(TarEntryType.RegularFile, source.EntryName), source, DefaultFileMode);
            entry.DataStream = data;
            writer.WriteEntry(entry);
        }
    }

    private static PaxTarEntry Describe(PaxTarEntry entry, SourceEntry source, UnixFileMode windowsDefault)
    {
        // Owners are not recorded: a release belongs to whoever extracts it.
        // A link's time is not followed to its target (which may not exist on this machine).
        entry.ModificationTime = source.Kind == SourceEntryKind.SymbolicLink
            ? DateTimeOffset.UnixEpoch
            : File.GetLastWriteTimeUtc(source.FullPath);
        entry.Mode = OperatingSystem.IsWindows() ? windowsDefault : GetUnixMode(source);
        return entry;
    }

    private static UnixFileMode GetUnixMode(SourceEntry source)
    {
        if (OperatingSystem.IsWindows() || source.Kind == SourceEntryKind.SymbolicLink)
        {
            return DefaultDirectoryMode;
        }

        return File.GetUnixFileMode(source.FullPath);
    }
}
