using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Swarm;

/// <summary>How a swarm reaches its tracker (HTTP in production, a list of peers in tests).</summary>
public interface ISwarmTracker
{
    /// <summary>Announces and returns the tracker's answer; throws on failure (the swarm retries).</summary>
    Task<SwarmAnnounceResponse> AnnounceAsync(SwarmAnnounce announce, CancellationToken cancellation);
}
