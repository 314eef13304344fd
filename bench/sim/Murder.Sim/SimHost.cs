using System.Collections.Generic;
using System.Net;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Engine;

namespace Murder.Sim;

/// <summary>A simulated machine: a real <see cref="SwarmEngine"/>, its links, and its network interface (an upload queue, a download horizon).</summary>
internal sealed class SimHost : ISwarmActions
{
    private readonly Simulation _simulation;

    public SimHost(Simulation simulation, int index, IPEndPoint endPoint, byte[] peerId, double upBitsPerSecond, double downBitsPerSecond, bool isSeeder, bool isSlow)
    {
        _simulation = simulation;
        Index = index;
        EndPoint = endPoint;
        PeerId = peerId;
        UpBitsPerSecond = upBitsPerSecond;
        DownBitsPerSecond = downBitsPerSecond;
        IsSeeder = isSeeder;
        IsSlow = isSlow;
    }

    public int Index { get; }

    public IPEndPoint EndPoint { get; }

    public byte[] PeerId { get; }

    public double UpBitsPerSecond { get; }

    public double DownBitsPerSecond { get; }

    public bool IsSeeder { get; }

    public bool IsSlow { get; }

    public SwarmEngine Engine { get; set; } = null!;

    public bool Started { get; set; }

    public bool Alive { get; set; } = true;

    public long LaunchAt { get; set; }

    public long? CompletedAt { get; set; }

    /// <summary>Block bytes this host received from the seeder.</summary>
    public long FromSeeder { get; set; }

    /// <summary>Blocks queued for upload, in the order they were requested (the FIFO model), with when (virtual ns).</summary>
    public Queue<(SimLink Link, BlockRequest Block, long At)> Uplink { get; } = new();

    /// <summary>Links with blocks queued, served a block each in turn (the fair model: one TCP flow per connection).</summary>
    public Queue<SimLink> UplinkTurns { get; } = new();

    public bool UplinkBusy { get; set; }

    /// <summary>When the download side is free again (blocks from many senders queue there).</summary>
    public long DownFree { get; set; }

    public void Dial(IPEndPoint endPoint) => _simulation.Dial(this, endPoint);

    public void Verify(PieceProgress piece) => _simulation.Verify(this, piece);

    public void Announce(SwarmAnnounce announce) => _simulation.Announce(this, announce);

    public void Completed() => _simulation.Completed(this);

    public void Diagnostic(string message)
    {
        // A run of thousands of engines would drown in these; the results say what matters.
    }
}
