using System.Collections.Generic;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Sessions;

namespace Murder.Sim;

/// <summary>One end of a simulated connection: the engine's <see cref="IPeerLink"/>, backed by the event queue.</summary>
internal sealed class SimLink : IPeerLink
{
    private readonly Simulation _simulation;

    public SimLink(Simulation simulation, SimHost owner)
    {
        _simulation = simulation;
        Owner = owner;
    }

    public SimHost Owner { get; }

    public SimLink Remote { get; set; } = null!;

    public PeerSession? Session { get; set; }

    public bool Closed { get; set; }

    /// <summary>The far end refused the handshake.</summary>
    public bool Refused { get; set; }

    /// <summary>The engine was told this connection is gone.</summary>
    public bool GoneReported { get; set; }

    /// <summary>When the last control message sent on this end reaches the other (TCP keeps them in order).</summary>
    public long LastDelivery { get; set; }

    /// <summary>Blocks queued for upload on this connection (the fair model), created on first use.</summary>
    public Queue<BlockRequest>? Pending { get; set; }

    public void Send(in OutgoingMessage message) => _simulation.Send(this, message);

    public void Close() => _simulation.Close(this);
}
