using System;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Swarm.Transport;

/// <summary>
/// A token bucket shared by a swarm's connections: callers take bytes and wait when the bucket is
/// empty. Holds at most a quarter second of tokens so bursts stay short.
/// </summary>
internal sealed class RateLimiter
{
    private readonly object _gate = new();
    private readonly double _bytesPerSecond;
    private readonly double _capacity;
    private double _tokens;
    private readonly TimeProvider _time;
    private long _stamp;

    public RateLimiter(long bytesPerSecond, TimeProvider time)
    {
        _time = time;
        _stamp = time.GetTimestamp();
        _bytesPerSecond = bytesPerSecond;
        _capacity = Math.Max(64 * 1024, bytesPerSecond / 4.0);
        _tokens = _capacity;
    }

    public async ValueTask TakeAsync(int bytes, CancellationToken cancellation)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                long now = _time.GetTimestamp();
                _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_stamp, now).TotalSeconds * _bytesPerSecond));
                _stamp = now;
                if (_tokens >= Math.Min(bytes, _capacity))
                {
                    _tokens -= bytes;
                    return;
                }

                wait = TimeSpan.FromSeconds((bytes - _tokens) / _bytesPerSecond);
            }

            await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, _time, cancellation).ConfigureAwait(false);
        }
    }
}
