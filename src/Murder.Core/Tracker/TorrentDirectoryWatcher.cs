using System;
using System.Collections.Generic;
using System.IO;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker;

/// <summary>
/// Keeps the registry in step with a directory of .torrent files: a torrent placed there is
/// registered, a torrent removed is withdrawn. Polled (cheap for a handful of files, and it works
/// the same on every file system, network shares included).
/// </summary>
internal sealed class TorrentDirectoryWatcher
{
    private readonly string _directory;
    private readonly SwarmRegistry _registry;
    private readonly Action<string> _log;
    private readonly Dictionary<string, Entry> _known = new(StringComparer.Ordinal);

    public TorrentDirectoryWatcher(string directory, SwarmRegistry registry, Action<string> log)
    {
        _directory = directory;
        _registry = registry;
        _log = log;
    }

    /// <summary>Scans once; returns how many torrents are registered from the directory.</summary>
    public int Scan()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<FileInfo> files;
        try
        {
            files = new DirectoryInfo(_directory).EnumerateFiles("*.torrent", SearchOption.TopDirectoryOnly);
            foreach (FileInfo file in files)
            {
                seen.Add(file.FullName);
                if (_known.TryGetValue(file.FullName, out Entry known) && known.Length == file.Length && known.LastWrite == file.LastWriteTimeUtc)
                {
                    continue;
                }

                _known[file.FullName] = Load(file);
                if (known.InfoHash is InfoHash previous && !previous.Equals(_known[file.FullName].InfoHash))
                {
                    WithdrawIfUnused(previous);
                }
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            _log($"Cannot read the torrent directory '{_directory}': {error.Message}");
            return _known.Count;
        }

        var gone = new List<string>();
        foreach (KeyValuePair<string, Entry> pair in _known)
        {
            if (!seen.Contains(pair.Key))
            {
                gone.Add(pair.Key);
            }
        }

        foreach (string path in gone)
        {
            InfoHash? infoHash = _known[path].InfoHash;
            _known.Remove(path);
            if (infoHash is InfoHash hash)
            {
                WithdrawIfUnused(hash);
                _log($"Withdrew {hash.ToHex()}: '{Path.GetFileName(path)}' was removed.");
            }
        }

        return _known.Count;
    }

    private Entry Load(FileInfo file)
    {
        var entry = new Entry(file.Length, file.LastWriteTimeUtc, null);
        try
        {
            TorrentMetaInfo torrent = MetaInfoReader.Load(file.FullName);
            _registry.Register(torrent.InfoHash, torrent.Name, torrent.TotalLength);
            _log($"Registered {torrent.InfoHash.ToHex()} ({torrent.Name}) from '{file.Name}'.");
            return entry with { InfoHash = torrent.InfoHash };
        }
        catch (Exception error) when (error is MetaInfoException or IOException or UnauthorizedAccessException)
        {
            // Reported once per version of the file; a file still being written is retried when it changes.
            _log($"Ignored '{file.Name}': {error.Message}");
            return entry;
        }
    }

    private void WithdrawIfUnused(InfoHash infoHash)
    {
        foreach (Entry entry in _known.Values)
        {
            if (entry.InfoHash is InfoHash other && other.Equals(infoHash))
            {
                return;
            }
        }

        _registry.Unregister(infoHash);
    }

    private readonly record struct Entry(long Length, DateTime LastWrite, InfoHash? InfoHash);
}
