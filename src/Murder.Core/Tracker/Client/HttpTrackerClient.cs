using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.MetaInfo;

namespace Murder.Core.Tracker.Client;

/// <summary>
/// An HTTP tracker client (BEP 3, 23, 7, 48) over HttpClient: compact announces, strict parsing,
/// a timeout per request, cancellation, responses capped at 2 MiB. Trackers are reached directly,
/// never through a proxy.
/// </summary>
public sealed class HttpTrackerClient : ITrackerClient, IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    /// <summary>Creates a client; <paramref name="timeout"/> bounds each request (10 s by default).</summary>
    public HttpTrackerClient(TimeSpan? timeout = null)
    {
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectTimeout = _timeout,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            MaxResponseHeadersLength = 64,
        };
        _http = new HttpClient(handler)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = TrackerResponseParser.MaxResponseBytes,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Murder/" + (typeof(HttpTrackerClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <inheritdoc/>
    public async Task<TrackerAnnounceResponse> AnnounceAsync(TrackerAnnounceRequest request, CancellationToken cancellationToken)
    {
        Uri url = TrackerUrl.Announce(request);
        string tracker = request.AnnounceUrl.GetLeftPart(UriPartial.Path);
        byte[] body = await GetAsync(url, tracker, cancellationToken).ConfigureAwait(false);
        return TrackerResponseParser.ParseAnnounce(body, tracker);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<TrackerTorrentStatus>> ScrapeAsync(Uri announceUrl, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken)
    {
        Uri url = TrackerUrl.Scrape(announceUrl, infoHashes);
        string tracker = announceUrl.GetLeftPart(UriPartial.Path);
        byte[] body = await GetAsync(url, tracker, cancellationToken).ConfigureAwait(false);
        return TrackerResponseParser.ParseScrape(body, tracker);
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private async Task<byte[]> GetAsync(Uri url, string tracker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // A failure reason in an error response is still the best explanation.
                try
                {
                    TrackerResponseParser.ParseScrape(body, tracker);
                }
                catch (MurderException error) when (error.ErrorId == "TrackerFailure")
                {
                    throw;
                }
                catch (MurderException)
                {
                }

                throw new MurderException("TrackerHttpError", MurderErrorCategory.ConnectionError, $"The tracker {tracker} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.")
                {
                    TargetObject = tracker,
                };
            }

            return body;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(tracker, $"it did not answer within {_timeout.TotalSeconds:0.#} s", null);
        }
        catch (HttpRequestException error)
        {
            throw Unreachable(tracker, error.Message, error);
        }
        catch (IOException error)
        {
            throw Unreachable(tracker, error.Message, error);
        }
    }

    private static MurderException Unreachable(string tracker, string why, Exception? inner) =>
        new("TrackerUnreachable", MurderErrorCategory.ConnectionError, $"Cannot reach the tracker {tracker}: {why}. Check that it runs and that this machine can reach it.", inner)
        {
            TargetObject = tracker,
        };
}
