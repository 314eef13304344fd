using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.BEncoding;
using Murder.Core.Deployment;

namespace Murder.Core.Fleet;

/// <summary>
/// Reads a tracker's deploy ledger over HTTP (`GET /deploy`, read-only, no key needed): the list of
/// deploys, or one deploy's entries changed since a version, so a follower polling a deploy of
/// 10,000 hosts fetches only what changed. Answers are capped at 64 MiB.
/// </summary>
public sealed class DeployLedgerClient : IDisposable
{
    /// <summary>The most entries one read asks for (the contract's maximum).</summary>
    public const int MaxLimit = 10_000;

    private const int MaxAnswerBytes = 64 * 1024 * 1024;
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");
    private readonly HttpClient _http;
    private string? _hostHeader;

    /// <summary>A client of the ledger at <paramref name="deployUrl"/> (http://HOST:PORT/deploy).</summary>
    public DeployLedgerClient(Uri deployUrl, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(deployUrl);
        DeployUrl = deployUrl;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.All })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(15),
            MaxResponseContentBufferSize = MaxAnswerBytes,
        };
    }

    /// <summary>The ledger's URL.</summary>
    public Uri DeployUrl { get; }

    /// <summary>The ledger of the tracker a torrent's announce URL names.</summary>
    public static DeployLedgerClient ForAnnounce(Uri announceUrl) => new(new Uri(DeployReporter.Endpoint(announceUrl, "deploy")));

    /// <summary>The ledger of the tracker at HOST:PORT (or [IPv6]:PORT, or an http:// URL).</summary>
    public static DeployLedgerClient ForTracker(string tracker)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tracker);
        string text = tracker.Contains("://", StringComparison.Ordinal) ? tracker : "http://" + tracker;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort && !tracker.Contains("://", StringComparison.Ordinal))
        {
            throw new MurderException("InvalidTracker", MurderErrorCategory.InvalidArgument, $"'{tracker}' is not a tracker address: give HOST:PORT, for example tracker01:8998.") { TargetObject = tracker };
        }

        string path = uri.AbsolutePath.EndsWith("/announce", StringComparison.Ordinal) ? uri.AbsolutePath[..^"announce".Length] + "deploy" : "/deploy";
        return new DeployLedgerClient(new Uri(uri.GetLeftPart(UriPartial.Authority) + path));
    }

    /// <summary>Every deploy the ledger holds, newest first.</summary>
    public async Task<DeployList> ListAsync(CancellationToken cancellation) =>
        DeployLedgerJson.ParseList(await GetAsync(DeployUrl, cancellation).ConfigureAwait(false));

    /// <summary>One deploy: its totals and its entries with a version above <paramref name="since"/>.</summary>
    public async Task<DeployLedgerPage> ReadAsync(string infoHash, long since, int limit, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(infoHash);
        string hex = infoHash.ToLowerInvariant();
        if (hex.Length != 40 || hex.AsSpan().ContainsAnyExcept(HexDigits))
        {
            throw new MurderException("InvalidInfoHash", MurderErrorCategory.InvalidArgument, $"'{infoHash}' is not an info-hash: give 40 hexadecimal digits (Get-MurderDeploy lists them).") { TargetObject = infoHash };
        }

        var url = new Uri(DeployUrl + string.Format(CultureInfo.InvariantCulture, "?info_hash={0}&since={1}&limit={2}", hex, Math.Max(0, since), Math.Clamp(limit, 1, MaxLimit)));
        return DeployLedgerJson.ParsePage(await GetAsync(url, cancellation).ConfigureAwait(false));
    }

    /// <summary>Every entry of one deploy (as many reads as it takes), each host once, oldest change first.</summary>
    public async Task<IReadOnlyList<DeployLedgerEntry>> ReadAllAsync(string infoHash, CancellationToken cancellation)
    {
        var entries = new List<DeployLedgerEntry>();
        long since = 0;
        while (true)
        {
            DeployLedgerPage page = await ReadAsync(infoHash, since, MaxLimit, cancellation).ConfigureAwait(false);
            entries.AddRange(page.Entries);
            if (!page.More || page.Next <= since)
            {
                return entries;
            }

            since = page.Next;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private async Task<byte[]> GetAsync(Uri url, CancellationToken cancellation)
    {
        string tracker = DeployUrl.GetLeftPart(UriPartial.Authority);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (await HostHeaderAsync(cancellation).ConfigureAwait(false) is string host)
            {
                request.Headers.Host = host;
            }

            using HttpResponseMessage response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return body;
            }

            string reason = FailureReason(body) ?? $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            throw response.StatusCode == HttpStatusCode.NotFound
                ? new MurderException("DeployNotFound", MurderErrorCategory.ObjectNotFound, $"The tracker {tracker} has no such deploy ({reason}). List its deploys with Get-MurderDeploy.") { TargetObject = url.ToString() }
                : new MurderException("DeployLedgerFailed", MurderErrorCategory.ConnectionError, $"The tracker {tracker} did not answer the deploy ledger read: {reason}.") { TargetObject = tracker };
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw Unreachable(tracker, "it did not answer in time", null);
        }
        catch (HttpRequestException error)
        {
            throw Unreachable(tracker, error.Message, error);
        }
        catch (System.IO.IOException error)
        {
            throw Unreachable(tracker, error.Message, error);
        }
    }

    /// <summary>
    /// The Host header for a tracker named by DNS: the address the name resolves to. The tracker
    /// serves its ledger only under an IP address, localhost or its own machine name (its guard
    /// against DNS rebinding, which a browser needs and this client does not), so a fleet's
    /// TrackerHost such as tracker01.example.com would be refused. Null keeps the URL's own.
    /// </summary>
    private async Task<string?> HostHeaderAsync(CancellationToken cancellation)
    {
        if (_hostHeader is not null || DeployUrl.HostNameType != UriHostNameType.Dns || DeployUrl.IsLoopback)
        {
            return _hostHeader;
        }

        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(DeployUrl.DnsSafeHost, cancellation).ConfigureAwait(false);
            if (addresses.Length > 0)
            {
                IPAddress address = Array.Find(addresses, a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses[0];
                string text = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();
                _hostHeader = text + ":" + DeployUrl.Port.ToString(CultureInfo.InvariantCulture);
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // The request itself will say the name does not resolve.
        }

        return _hostHeader;
    }

    private static string? FailureReason(byte[] body)
    {
        try
        {
            return BencodeReader.Decode(body) is BDictionary root && root.TryGet("failure reason", out BString reason) ? reason.ToString() : null;
        }
        catch (BencodeException)
        {
            return null;
        }
    }

    private static MurderException Unreachable(string tracker, string why, Exception? inner) =>
        new("TrackerUnreachable", MurderErrorCategory.ConnectionError, $"Cannot read the deploy ledger of {tracker}: {why}. Check that the tracker runs and that this machine can reach it (-Tracker HOST:PORT).", inner) { TargetObject = tracker };
}
