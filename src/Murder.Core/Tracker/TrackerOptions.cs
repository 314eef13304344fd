using System;
using System.Linq;
using System.Collections.Generic;

namespace Murder.Core.Tracker;

/// <summary>
/// The tracker's settings, immutable once built. Defaults are Murder's datacenter tuning: announce
/// every 15 s, peers dropped after 120 s without an announce, up to 500 peers per response.
/// </summary>
public sealed record TrackerOptions
{
    /// <summary>How often peers are told to announce.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a peer stays listed without announcing. The tracker uses at least three announce
    /// intervals, so a longer interval never expires peers that announce on time.
    /// </summary>
    public TimeSpan PeerExpiry { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The most peers one response carries, whatever numwant asks for.</summary>
    public int MaxNumWant { get; init; } = 500;

    /// <summary>Peers per response when the announce has no numwant.</summary>
    public int DefaultNumWant { get; init; } = 50;

    /// <summary>Serve any info-hash, not only registered torrents (Murder's original behaviour).</summary>
    public bool Open { get; init; }

    /// <summary>
    /// When set, an announce is accepted only with the torrent's <see cref="SwarmKey"/> derived from
    /// this secret; everyone else is refused.
    /// </summary>
    public byte[]? SwarmSecret { get; init; }

    /// <summary>
    /// Honour the announce <c>ip=</c> parameter from any client. Off by default: it is then honoured
    /// only from loopback clients that address the tracker by IP or localhost, so nobody can aim a
    /// swarm at a third party.
    /// </summary>
    public bool AllowIpParameter { get; init; }

    /// <summary>Open connections at most; more are closed at once.</summary>
    public int MaxConnections { get; init; } = 8192;

    /// <summary>The largest request line plus headers, in bytes.</summary>
    public int MaxRequestHeaderBytes { get; init; } = 8192;

    /// <summary>How long a client may take to send a whole request (slow clients are cut off).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle keep-alive connection stays open between requests.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Peers across all torrents at most; past it announces of new peers fail.</summary>
    public int MaxPeers { get; init; } = 500_000;

    /// <summary>Torrents at most (registered plus those an open tracker creates).</summary>
    public int MaxTorrents { get; init; } = 10_000;

    /// <summary>Info-hashes one scrape may ask for.</summary>
    public int MaxScrapeHashes { get; init; } = 256;

    /// <summary>How often peers are told to report to the deploy ledger while not finished.</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Hosts in one deploy's ledger at most; reports of further hosts are refused.</summary>
    public int MaxDeployHosts { get; init; } = 100_000;

    /// <summary>Deploy ledgers at most; past it the deploy reported to least recently is dropped.</summary>
    public int MaxDeploys { get; init; } = 256;

    /// <summary>Ledger entries across every deploy at most; past it the deploy reported to least recently is dropped.</summary>
    public int MaxDeployEntries { get; init; } = 1_000_000;

    /// <summary>How often a changed deploy ledger is written to the state directory (at most).</summary>
    public TimeSpan LedgerSaveInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Host names (besides IP literals, localhost and this machine's name) under which the live
    /// page, /metrics and the deploy ledger are served: the DNS aliases operators reach the tracker
    /// by. Any other Host header is refused there, against DNS rebinding.
    /// </summary>
    public IReadOnlyList<string> AllowedHostNames { get; init; } = Array.Empty<string>();

    /// <summary>The expiry in force: <see cref="PeerExpiry"/>, but at least three intervals.</summary>
    public TimeSpan EffectivePeerExpiry => PeerExpiry > AnnounceInterval * 3 ? PeerExpiry : AnnounceInterval * 3;

    /// <summary>Checks every setting; throws a <see cref="MurderException"/> (InvalidTrackerOption) naming the bad one.</summary>
    public void Validate()
    {
        Require(AnnounceInterval >= TimeSpan.FromSeconds(1) && AnnounceInterval <= TimeSpan.FromHours(1), nameof(AnnounceInterval), "from 1 second to 1 hour");
        Require(PeerExpiry >= TimeSpan.FromSeconds(1) && PeerExpiry <= TimeSpan.FromDays(1), nameof(PeerExpiry), "from 1 second to 1 day");
        Require(MaxNumWant is >= 1 and <= 5000, nameof(MaxNumWant), "from 1 to 5000");
        Require(DefaultNumWant >= 0 && DefaultNumWant <= MaxNumWant, nameof(DefaultNumWant), "from 0 to MaxNumWant");
        Require(MaxConnections is >= 1 and <= 1_000_000, nameof(MaxConnections), "from 1 to 1000000");
        Require(MaxRequestHeaderBytes is >= 256 and <= 65536, nameof(MaxRequestHeaderBytes), "from 256 to 65536");
        Require(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), "positive");
        Require(KeepAliveTimeout > TimeSpan.Zero, nameof(KeepAliveTimeout), "positive");
        Require(MaxPeers >= 1, nameof(MaxPeers), "positive");
        Require(MaxTorrents >= 1, nameof(MaxTorrents), "positive");
        Require(AllowedHostNames.All(IsHostName), nameof(AllowedHostNames), "DNS names (letters, digits, '-' and '.', at most 253 characters)");
        Require(MaxScrapeHashes >= 1, nameof(MaxScrapeHashes), "positive");
        Require(ReportInterval >= TimeSpan.FromSeconds(1) && ReportInterval <= TimeSpan.FromHours(1), nameof(ReportInterval), "from 1 second to 1 hour");
        Require(MaxDeployHosts is >= 1 and <= 10_000_000, nameof(MaxDeployHosts), "from 1 to 10000000");
        Require(MaxDeploys is >= 1 and <= 100_000, nameof(MaxDeploys), "from 1 to 100000");
        Require(MaxDeployEntries >= 1, nameof(MaxDeployEntries), "positive");
        Require(LedgerSaveInterval >= TimeSpan.FromMilliseconds(100) && LedgerSaveInterval <= TimeSpan.FromHours(1), nameof(LedgerSaveInterval), "from 0.1 second to 1 hour");
    }

    private static void Require(bool condition, string name, string range)
    {
        if (!condition)
        {
            throw new MurderException("InvalidTrackerOption", MurderErrorCategory.InvalidArgument, $"The tracker setting {name} must be {range}.")
            {
                TargetObject = name,
            };
        }
    }

    /// <summary>Whether <paramref name="name"/> is a DNS name a Host header can carry.</summary>
    public static bool IsHostName(string? name) =>
        name is { Length: > 0 and <= 253 }
        && name.Split('.').All(static label => label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-' && label.All(static c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}
