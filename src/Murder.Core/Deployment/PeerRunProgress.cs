using System.Threading;
using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>Live state of a peer run, written by the run and read by anyone (a progress bar, the deploy reports).</summary>
public sealed class PeerRunProgress
{
    private TorrentSwarm? _swarm;
    private int _stage;
    private int _entered;

    /// <summary>The current stage.</summary>
    public PeerRunStage Stage => (PeerRunStage)Volatile.Read(ref _stage);

    /// <summary>The swarm's counters while downloading; null before.</summary>
    public SwarmStatistics? Statistics => Volatile.Read(ref _swarm)?.GetStatistics();

    /// <summary>
    /// What to tell the deploy ledger now: starting before the run checks anything, verifying,
    /// downloading (verified bytes and what is left), extracting, then seeding while the peer
    /// lingers or done. Failures are reported by whoever catches them.
    /// </summary>
    /// <param name="totalBytes">The artifact's size.</param>
    /// <param name="lingering">Whether the peer keeps seeding once the release is in place.</param>
    public DeployReport ToReport(long totalBytes, bool lingering)
    {
        if (Volatile.Read(ref _entered) == 0)
        {
            return new DeployReport { Stage = DeployStage.Starting, Left = totalBytes };
        }

        PeerRunStage stage = Stage;
        long have = Statistics?.BytesHave ?? (stage >= PeerRunStage.HandingOver ? totalBytes : 0);
        return new DeployReport
        {
            Stage = stage switch
            {
                PeerRunStage.Checking => DeployStage.Verifying,
                PeerRunStage.Downloading or PeerRunStage.HandingOver => DeployStage.Downloading,
                PeerRunStage.Extracting => DeployStage.Extracting,
                _ => lingering ? DeployStage.Seeding : DeployStage.Done,
            },
            Downloaded = have,
            Left = System.Math.Max(0, totalBytes - have),
        };
    }

    internal void Enter(PeerRunStage stage)
    {
        Volatile.Write(ref _stage, (int)stage);
        Volatile.Write(ref _entered, 1);
    }

    internal void Attach(TorrentSwarm? swarm) => Volatile.Write(ref _swarm, swarm);
}
