using System;
using System.IO;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker;

/// <summary>
/// Registers a torrent by placing a copy in a tracker's torrent directory, atomically (the tracker
/// never sees half a file).
/// </summary>
public static class TorrentRegistrar
{
    /// <summary>
    /// Validates <paramref name="torrentPath"/> and copies it into <paramref name="directory"/>
    /// under its own file name. An identical copy is left as it is; a different file of that name
    /// is replaced only with <paramref name="force"/>. Returns the metainfo and the copy's path.
    /// </summary>
    public static (TorrentMetaInfo Torrent, string Destination) CopyInto(string torrentPath, string directory, bool force)
    {
        if (!File.Exists(torrentPath))
        {
            throw new MurderException("TorrentNotFound", MurderErrorCategory.ObjectNotFound, $"The torrent file '{torrentPath}' does not exist.") { TargetObject = torrentPath };
        }

        TorrentMetaInfo torrent;
        byte[] bytes;
        try
        {
            torrent = MetaInfoReader.Load(torrentPath);
            bytes = File.ReadAllBytes(torrentPath);
        }
        catch (MetaInfoException error)
        {
            throw new MurderException("InvalidTorrent", MurderErrorCategory.InvalidData, error.Message, error) { TargetObject = torrentPath };
        }

        string name = Path.GetFileName(torrentPath);
        if (!name.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase))
        {
            name += ".torrent";
        }

        Directory.CreateDirectory(directory);
        string destination = Path.Combine(directory, name);
        if (Path.GetFullPath(destination) == Path.GetFullPath(torrentPath))
        {
            return (torrent, destination);
        }

        if (File.Exists(destination))
        {
            if (File.ReadAllBytes(destination).AsSpan().SequenceEqual(bytes))
            {
                return (torrent, destination);
            }

            if (!force)
            {
                throw new MurderException("TorrentExists", MurderErrorCategory.ResourceExists, $"'{destination}' exists and is a different torrent. Use -Force to replace it.") { TargetObject = destination };
            }
        }

        string temporary = Path.Combine(directory, "." + name + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, destination, overwrite: true);
        return (torrent, destination);
    }
}
