using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.BEncoding;
using Murder.Core.MetaInfo;
using Murder.Core.Tracker.Client;

namespace Murder.Core.Deployment;

/// <summary>
/// Sends a host's reports to the tracker's deploy ledger: an HTTP GET on the announce URL with its
/// last segment `announce` replaced by `report` (the announce query, and so its murder_key, kept).
/// A report that fails never fails the deploy: it is logged (once per distinct reason) and the next
/// one tries again. The tracker's answer sets the interval between periodic reports.
/// </summary>
public sealed class DeployReporter : IDisposable
{
    /// <summary>The interval used until the tracker names one.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    private const int MaxHostBytes = 255;
    private const int MaxMessageBytes = 1024;
    private const int MaxAnswerBytes = 64 * 1024;
    private readonly HttpClient _http;
    private readonly Action<string>? _log;
    private readonly byte[] _peerId;
    private string? _lastProblem;

    /// <summary>A reporter for one host of one torrent.</summary>
    /// <param name="announceUrl">The torrent's announce URL.</param>
    /// <param name="infoHash">The torrent.</param>
    /// <param name="host">The host's name as the control machine named it; null lets the tracker use the address.</param>
    /// <param name="role">peer or seeder.</param>
    /// <param name="log">Receives a line when reports start or stop failing.</param>
    /// <param name="timeout">Bounds each report (5 s by default).</param>
    public DeployReporter(Uri announceUrl, InfoHash infoHash, string? host, string role = "peer", Action<string>? log = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(announceUrl);
        AnnounceUrl = announceUrl;
        InfoHash = infoHash;
        Host = host is null ? null : TrimUtf8(host, MaxHostBytes);
        Role = role;
        _log = log;
        _peerId = NewPeerId();
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = timeout ?? TimeSpan.FromSeconds(5) })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(5),
            MaxResponseContentBufferSize = MaxAnswerBytes,
        };
    }

    /// <summary>The torrent's announce URL.</summary>
    public Uri AnnounceUrl { get; }

    /// <summary>The torrent.</summary>
    public InfoHash InfoHash { get; }

    /// <summary>The host name sent, or null.</summary>
    public string? Host { get; }

    /// <summary>peer or seeder.</summary>
    public string Role { get; }

    /// <summary>The time until the next periodic report, as the tracker last answered.</summary>
    public TimeSpan Interval { get; private set; } = DefaultInterval;

    /// <summary>
    /// The report URL for an announce URL: its last path segment `announce` becomes `report`, its
    /// query is kept, the report's fields are appended. Throws when the URL does not end in announce.
    /// </summary>
    public static Uri ReportUrl(Uri announceUrl, InfoHash infoHash, ReadOnlySpan<byte> peerId, string? host, string role, DeployReport report)
    {
        ArgumentNullException.ThrowIfNull(announceUrl);
        ArgumentNullException.ThrowIfNull(report);
        // The announce query stays: it carries murder_key when the tracker has a swarm secret.
        var url = new StringBuilder(Endpoint(announceUrl, "report"), 256).Append(announceUrl.Query);
        url.Append(string.IsNullOrEmpty(announceUrl.Query) ? '?' : '&');
        url.Append("info_hash=");
        Percent(url, infoHash.Bytes);
        url.Append("&peer_id=");
        Percent(url, peerId);
        if (host is not null)
        {
            url.Append("&host=");
            Percent(url, Encoding.UTF8.GetBytes(TrimUtf8(host, MaxHostBytes)));
        }

        url.Append("&role=").Append(role);
        url.Append("&stage=").Append(DeployStages.ToWire(report.Stage));
        url.Append(CultureInfo.InvariantCulture, $"&downloaded={Math.Max(0, report.Downloaded)}&left={Math.Max(0, report.Left)}&rate={Math.Max(0, report.Rate)}");
        if (report.Stage == DeployStage.Failed)
        {
            url.Append("&error_id=").Append(CleanErrorId(report.ErrorId));
            if (!string.IsNullOrEmpty(report.Message))
            {
                url.Append("&message=");
                Percent(url, Encoding.UTF8.GetBytes(TrimUtf8(report.Message, MaxMessageBytes)));
            }
        }

        return new Uri(url.ToString());
    }

    /// <summary>
    /// http://HOST:PORT/PREFIX/<paramref name="name"/> (no query) for an announce URL whose last path
    /// segment is `announce` (the report and deploy endpoints of the same tracker).
    /// </summary>
    public static string Endpoint(Uri announceUrl, string name)
    {
        ArgumentNullException.ThrowIfNull(announceUrl);
        string path = announceUrl.AbsolutePath;
        int slash = path.LastIndexOf('/');
        if (!announceUrl.IsAbsoluteUri || announceUrl.Scheme is not ("http" or "https") || slash < 0 || path[(slash + 1)..] != "announce")
        {
            throw new MurderException("TrackerReportUnsupported", MurderErrorCategory.InvalidArgument, $"The tracker URL '{announceUrl}' does not end in /announce, so it has no deploy ledger. Make the torrent with New-MurderTorrent -Tracker HOST:PORT.")
            {
                TargetObject = announceUrl.ToString(),
            };
        }

        return announceUrl.GetLeftPart(UriPartial.Authority) + path[..(slash + 1)] + name;
    }

    /// <summary>The interval a report's answer names; throws the tracker's failure reason.</summary>
    public static TimeSpan ParseAnswer(ReadOnlyMemory<byte> body, string tracker)
    {
        BDictionary root;
        try
        {
            root = BencodeReader.Decode(body) as BDictionary ?? throw new BencodeException("the answer is not a dictionary", 0);
        }
        catch (BencodeException error)
        {
            throw new MurderException("TrackerResponseInvalid", MurderErrorCategory.InvalidData, $"The tracker {tracker} answered a report with something that is not bencode ({error.Message}). Is it a Murder tracker with a deploy ledger?", error) { TargetObject = tracker };
        }

        if (root.TryGet("failure reason", out BString reason))
        {
            throw new MurderException("ReportRefused", MurderErrorCategory.InvalidOperation, $"The tracker {tracker} refused the report: {reason}.") { TargetObject = tracker };
        }

        return root.TryGet("interval", out BInteger interval) && interval.Value is > 0 and <= 3600 ? TimeSpan.FromSeconds(interval.Value) : DefaultInterval;
    }

    /// <summary>
    /// Sends one report; true when the tracker took it. Never throws for a failed report (it is
    /// logged once per distinct reason); only a cancellation of <paramref name="cancellation"/> ends it early.
    /// </summary>
    public Task<bool> ReportAsync(DeployReport report, CancellationToken cancellation) => ReportAsync(report, Host, cancellation);

    /// <summary>
    /// Sends one report for <paramref name="host"/> (the control machine reporting a host it could
    /// not start); otherwise as <see cref="ReportAsync(DeployReport, CancellationToken)"/>.
    /// </summary>
    public async Task<bool> ReportAsync(DeployReport report, string? host, CancellationToken cancellation)
    {
        string tracker = AnnounceUrl.GetLeftPart(UriPartial.Authority);
        try
        {
            Uri url = ReportUrl(AnnounceUrl, InfoHash, _peerId, host, Role, report);
            using HttpResponseMessage response = await _http.GetAsync(url, cancellation).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
            TimeSpan interval;
            try
            {
                interval = ParseAnswer(body, tracker);
            }
            catch (MurderException) when (response.StatusCode != HttpStatusCode.OK && body.Length == 0)
            {
                throw new MurderException("TrackerHttpError", MurderErrorCategory.ConnectionError, $"The tracker {tracker} answered a report with HTTP {(int)response.StatusCode}.");
            }

            Interval = interval;
            if (_lastProblem is not null)
            {
                _log?.Invoke($"Reports to {tracker} are accepted again.");
                _lastProblem = null;
            }

            return true;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception error) when (error is MurderException or HttpRequestException or OperationCanceledException or System.IO.IOException)
        {
            string problem = error is OperationCanceledException ? "it did not answer in time" : error.Message;
            if (problem != _lastProblem)
            {
                _lastProblem = problem;
                _log?.Invoke($"A deploy report to {tracker} failed (the download goes on): {problem}");
            }

            return false;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    /// <summary>A valid ErrorId for the ledger: letters and digits only, 1 to 64 of them.</summary>
    public static string CleanErrorId(string? errorId)
    {
        var clean = new StringBuilder();
        foreach (char c in errorId ?? string.Empty)
        {
            if (char.IsAsciiLetterOrDigit(c) && clean.Length < 64)
            {
                clean.Append(c);
            }
        }

        return clean.Length == 0 ? "Failed" : clean.ToString();
    }

    private static byte[] NewPeerId()
    {
        // Azureus style like the swarm's: -MR0001- and 12 random bytes (a report id, not a swarm member).
        byte[] id = new byte[InfoHash.Length];
        Encoding.ASCII.GetBytes("-MR0001-").CopyTo(id, 0);
        RandomNumberGenerator.Fill(id.AsSpan(8));
        return id;
    }

    private static string TrimUtf8(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        // Cut on a character boundary (never half of a surrogate pair).
        // Every character is at least one byte: no prefix longer than maxBytes characters fits.
        int length = Math.Min(text.Length, maxBytes);
        while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes)
        {
            length--;
            if (length > 0 && char.IsHighSurrogate(text[length - 1]))
            {
                length--;
            }
        }

        return text[..length];
    }

    private static void Percent(StringBuilder url, ReadOnlySpan<byte> bytes) => TrackerUrl.AppendPercentEncoded(url, bytes);
}
