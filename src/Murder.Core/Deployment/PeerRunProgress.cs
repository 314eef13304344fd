using System.Threading;
using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>Live state of a peer run, written by the run and read by anyone (a progress bar).</summary>
public sealed class PeerRunProgress
{
    private TorrentSwarm? _swarm;
    private int _stage;

    /// <summary>The current stage.</summary>
    public PeerRunStage Stage => (PeerRunStage)Volatile.Read(ref _stage);

    /// <summary>The swarm's counters while downloading; null before.</summary>
    public SwarmStatistics? Statistics => Volatile.Read(ref _swarm)?.GetStatistics();

    internal void Enter(PeerRunStage stage) => Volatile.Write(ref _stage, (int)stage);

    internal void Attach(TorrentSwarm? swarm) => Volatile.Write(ref _swarm, swarm);
}
