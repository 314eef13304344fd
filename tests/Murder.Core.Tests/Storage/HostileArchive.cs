using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace Murder.Core.Tests.Storage;

/// <summary>Builds .tgz files entry by entry, including entries no honest packer writes.</summary>
internal sealed class HostileArchive
{
    private readonly List<TarEntry> _entries = new();

    public HostileArchive File(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            Mode = mode,
        };
        _entries.Add(entry);
        return this;
    }

    public HostileArchive File(string name, Stream data)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = data });
        return this;
    }

    public HostileArchive Directory(string name, UnixFileMode mode = (UnixFileMode)0x1ED)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode });
        return this;
    }

    public HostileArchive SymbolicLink(string name, string target)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });
        return this;
    }

    public HostileArchive HardLink(string name, string target)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });
        return this;
    }

    public HostileArchive Entry(TarEntry entry)
    {
        _entries.Add(entry);
        return this;
    }

    public byte[] ToTar()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, leaveOpen: true))
        {
            foreach (TarEntry entry in _entries)
            {
                writer.WriteEntry(entry);
            }
        }

        return tar.ToArray();
    }

    public static byte[] Gzip(byte[] data, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public string WriteTo(string path, CompressionLevel level = CompressionLevel.Fastest)
    {
        System.IO.File.WriteAllBytes(path, Gzip(ToTar(), level));
        return path;
    }
}
