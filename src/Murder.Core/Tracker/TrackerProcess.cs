using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using Murder.Core.Hosting;

namespace Murder.Core.Tracker;

/// <summary>
/// How a tracker is written into and read back from a <see cref="BackgroundProcessRecord"/>:
/// kind "tracker", named by its port.
/// </summary>
public static class TrackerProcess
{
    /// <summary>The record kind.</summary>
    public const string Kind = "tracker";

    /// <summary>The record name of the tracker on a port.</summary>
    public static string NameOf(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The default torrent directory of the tracker on a port: STATE/tracker-PORT/torrents.</summary>
    public static string DefaultTorrentDirectory(BackgroundProcessStore store, int port) =>
        System.IO.Path.Combine(store.StateDirectory, "tracker-" + NameOf(port), "torrents");

    /// <summary>Where the tracker on a port keeps its deploy ledgers: STATE/tracker-PORT/ledger.</summary>
    public static string LedgerDirectory(BackgroundProcessStore store, int port) =>
        System.IO.Path.Combine(store.StateDirectory, "tracker-" + NameOf(port), "ledger");

    /// <summary>The announce URL peers use: the bind address, or this machine's name when it listens on every address.</summary>
    public static string AnnounceUrlFor(IPAddress bindAddress, int port)
    {
        string host = bindAddress.Equals(IPAddress.Any) || bindAddress.Equals(IPAddress.IPv6Any)
            ? Dns.GetHostName()
            : bindAddress.ToString();
        return HttpUrl(host, port);
    }

    /// <summary>The URL to reach a tracker from this machine: loopback when it listens on every address.</summary>
    public static string LocalUrlFor(IPAddress bindAddress, int port)
    {
        string host = bindAddress.Equals(IPAddress.Any) ? "127.0.0.1"
            : bindAddress.Equals(IPAddress.IPv6Any) ? "127.0.0.1"
            : bindAddress.ToString();
        return HttpUrl(host, port);
    }

    /// <summary>Builds the record a tracker process saves for itself.</summary>
    public static BackgroundProcessRecord CreateRecord(BackgroundProcessStore store, IPAddress bindAddress, int port, string torrentDirectory, bool open, int announceInterval, string? logPath)
    {
        BackgroundProcessRecord self = BackgroundProcessStore.ForCurrentProcess(Kind, NameOf(port));
        return self with
        {
            Url = AnnounceUrlFor(bindAddress, port),
            Port = port,
            LogPath = logPath,
            Properties = new Dictionary<string, string>
            {
                ["BindAddress"] = bindAddress.ToString(),
                ["LocalUrl"] = LocalUrlFor(bindAddress, port),
                ["TorrentDirectory"] = torrentDirectory,
                ["Open"] = open ? "true" : "false",
                ["AnnounceInterval"] = announceInterval.ToString(CultureInfo.InvariantCulture),
            },
        };
    }

    /// <summary>Reads a tracker record back as a <see cref="TrackerInfo"/>.</summary>
    public static TrackerInfo ToInfo(BackgroundProcessStore store, BackgroundProcessRecord record)
    {
        record.Properties.TryGetValue("TorrentDirectory", out string? torrentDirectory);
        record.Properties.TryGetValue("BindAddress", out string? bindAddress);
        record.Properties.TryGetValue("Open", out string? open);
        record.Properties.TryGetValue("AnnounceInterval", out string? interval);
        return new TrackerInfo
        {
            Url = record.Url ?? string.Empty,
            Port = record.Port ?? 0,
            BindAddress = bindAddress ?? string.Empty,
            ProcessId = record.ProcessId,
            StatePath = store.RecordPath(record.Kind, record.Name),
            TorrentDirectory = torrentDirectory,
            LogPath = record.LogPath,
            Open = open == "true",
            AnnounceInterval = int.TryParse(interval, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) ? seconds : 0,
        };
    }

    /// <summary>The URL to reach a recorded tracker from this machine.</summary>
    public static Uri LocalUrl(BackgroundProcessRecord record) =>
        new(record.Properties.TryGetValue("LocalUrl", out string? url) ? url : record.Url ?? throw new InvalidOperationException("The tracker record has no URL."));

    private static string HttpUrl(string host, int port)
    {
        if (host.Contains(':', StringComparison.Ordinal))
        {
            host = "[" + host + "]";
        }

        return "http://" + host + ":" + port.ToString(CultureInfo.InvariantCulture) + "/announce";
    }
}
