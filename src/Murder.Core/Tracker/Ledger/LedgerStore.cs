using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// Keeps the deploy ledgers in a directory (the tracker's state directory): one file per torrent,
/// loaded at start, written behind (<see cref="SaveChanged"/>, called every
/// <see cref="TrackerOptions.LedgerSaveInterval"/>, writes only ledgers that changed) through a
/// temporary file and an atomic rename, so a crash leaves the old file or the new one, never half
/// of one. A file that cannot be read is logged and set aside, never fatal. Not thread-safe: one
/// housekeeping loop calls it.
/// </summary>
internal sealed class LedgerStore
{
    /// <summary>
    /// How far versions move on when ledgers are loaded: reports accepted after the last save and
    /// lost in a crash had versions a reader may have seen, so the versions after a restart start
    /// above any of them (far more reports than a tracker takes between two saves).
    /// </summary>
    public const long RestartVersionGap = 1 << 20;

    private const string TemporarySuffix = ".tmp";
    private const int InitialBuffer = 64 * 1024;
    private readonly string _directory;
    private readonly DeployLedgerRegistry _ledgers;
    private readonly TrackerOptions _options;
    private readonly Action<string> _log;
    private ArrayBufferWriter<byte> _buffer = new(InitialBuffer);
    private bool _failing;

    public LedgerStore(string directory, DeployLedgerRegistry ledgers, TrackerOptions options, Action<string> log)
    {
        _directory = directory;
        _ledgers = ledgers;
        _options = options;
        _log = log;
    }

    /// <summary>The directory the ledgers are kept in.</summary>
    public string Directory => _directory;

    /// <summary>The file of a torrent's ledger.</summary>
    public string PathOf(Hash20 infoHash) => Path.Combine(_directory, infoHash.ToHex() + LedgerFile.Extension);

    /// <summary>Loads every ledger file (call before serving). Returns how many ledgers were loaded.</summary>
    public int Load()
    {
        System.IO.Directory.CreateDirectory(_directory);
        int loaded = 0;
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "*" + LedgerFile.Extension + TemporarySuffix))
        {
            // A save the previous process did not finish; the file it was to replace is intact.
            TryDelete(path);
        }

        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "*" + LedgerFile.Extension))
        {
            DeployLedger ledger;
            try
            {
                ledger = LedgerFile.Read(File.ReadAllBytes(path), _options.MaxDeployHosts);
                if (!string.Equals(Path.GetFileName(path), ledger.InfoHash.ToHex() + LedgerFile.Extension, StringComparison.Ordinal))
                {
                    throw new FormatException("It holds the ledger of another torrent than its name says.");
                }
            }
            catch (Exception error) when (error is FormatException or IOException or UnauthorizedAccessException)
            {
                SetAside(path, error.Message);
                continue;
            }

            ledger.SkipVersions(RestartVersionGap);
            if (_ledgers.Restore(ledger))
            {
                loaded++;
            }
        }

        // Ledgers dropped to fit the bounds while loading go from the disk too.
        DeleteEvicted();
        return loaded;
    }

    /// <summary>Writes every ledger that changed since it was last written, and deletes those evicted. Returns how many were written.</summary>
    public int SaveChanged()
    {
        DeleteEvicted();
        int written = 0;
        foreach (DeployLedger ledger in _ledgers.All)
        {
            _buffer.Clear();
            lock (ledger.Gate)
            {
                if (!ledger.Changed || ledger.Removed)
                {
                    continue;
                }

                LedgerFile.Write(ledger, _buffer);
                ledger.Changed = false;
            }

            if (TryWrite(ledger.InfoHash, _buffer.WrittenSpan))
            {
                written++;
            }
            else
            {
                lock (ledger.Gate)
                {
                    ledger.Changed = true;
                }
            }
        }

        if (_buffer.Capacity > 16 * 1024 * 1024)
        {
            // One huge ledger should not pin its buffer for the life of the tracker.
            _buffer = new ArrayBufferWriter<byte>(InitialBuffer);
        }

        return written;
    }

    private bool TryWrite(Hash20 infoHash, ReadOnlySpan<byte> bytes)
    {
        string path = PathOf(infoHash);
        string temporary = path + TemporarySuffix;
        try
        {
            System.IO.Directory.CreateDirectory(_directory);
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            if (_failing)
            {
                _failing = false;
                _log($"Deploy ledgers are saved again in '{_directory}'.");
            }

            return true;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Logged once until a save succeeds again; the ledger stays in memory and is retried.
            if (!_failing)
            {
                _failing = true;
                _log($"Cannot save the deploy ledger '{path}': {error.Message} Free space or fix the permissions of '{_directory}'; the ledger is kept in memory and saved again once it can be.");
            }

            TryDelete(temporary);
            return false;
        }
    }

    private void DeleteEvicted()
    {
        while (_ledgers.TryTakeEvicted(out Hash20 infoHash))
        {
            TryDelete(PathOf(infoHash));
        }
    }

    private void SetAside(string path, string reason)
    {
        string aside = path + ".corrupt-" + DateTime.UtcNow.ToString("yyyyMMddTHHmmssfff", CultureInfo.InvariantCulture);
        try
        {
            File.Move(path, aside);
            _log($"Set aside the unreadable deploy ledger '{Path.GetFileName(path)}' as '{Path.GetFileName(aside)}': {reason}");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            _log($"Ignored the unreadable deploy ledger '{path}' ({reason}); it could not be set aside: {error.Message}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Left for the next start, which removes stray temporary files and rewrites ledgers.
        }
    }
}
