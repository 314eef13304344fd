using System;
using System.Collections.Generic;
using System.Globalization;
using Murder.Core.Hosting;

namespace Murder.Core.Deployment;

/// <summary>
/// How seeders and lingering peers are recorded in Murder's state directory: kind "seeder" named by
/// tag (one per tag and machine), and kind "peer" named TAG-PORT (several peers may linger).
/// </summary>
public static class SeedingProcess
{
    /// <summary>The record kind of seeders.</summary>
    public const string SeederKind = "seeder";

    /// <summary>The record kind of lingering peers.</summary>
    public const string PeerKind = "peer";

    /// <summary>The record name.</summary>
    public static string NameOf(string kind, string tag, int port) =>
        kind == SeederKind ? tag : tag + "-" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A record for the current process.</summary>
    public static BackgroundProcessRecord CreateRecord(string kind, string tag, int port, string infoHash, string artifactPath, string torrentPath, string tracker, DateTime? stopsAtUtc, string? logPath) =>
        BackgroundProcessStore.ForCurrentProcess(kind, NameOf(kind, tag, port)) with
        {
            Port = port,
            Url = tracker,
            LogPath = logPath,
            Properties = new Dictionary<string, string>
            {
                ["Tag"] = tag,
                ["InfoHash"] = infoHash,
                ["ArtifactPath"] = artifactPath,
                ["TorrentPath"] = torrentPath,
                ["StopsAtUtc"] = stopsAtUtc?.ToString("o", CultureInfo.InvariantCulture) ?? string.Empty,
            },
        };

    /// <summary>The tag a record belongs to.</summary>
    public static string TagOf(BackgroundProcessRecord record) =>
        record.Properties.TryGetValue("Tag", out string? tag) ? tag : record.Name;

    /// <summary>What a record says, for output.</summary>
    public static SeedingInfo ToInfo(BackgroundProcessRecord record)
    {
        string? Get(string key) => record.Properties.TryGetValue(key, out string? value) && value.Length > 0 ? value : null;
        return new SeedingInfo
        {
            Tag = TagOf(record),
            Role = record.Kind == SeederKind ? "Seeder" : "Peer",
            InfoHash = Get("InfoHash"),
            Port = record.Port,
            ProcessId = record.ProcessId,
            ArtifactPath = Get("ArtifactPath"),
            TorrentPath = Get("TorrentPath"),
            Tracker = record.Url,
            StopsAtUtc = Get("StopsAtUtc") is string stops ? DateTime.Parse(stops, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null,
            LogPath = record.LogPath,
            IsRunning = BackgroundProcessStore.IsRunning(record),
        };
    }
}
