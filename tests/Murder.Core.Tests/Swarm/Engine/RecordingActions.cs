using System.Collections.Generic;
using System.Net;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Engine;

namespace Murder.Core.Tests.Swarm.Engine;

/// <summary>Keeps the engine's requests (dials, checks, announces) for a test to look at and answer.</summary>
internal sealed class RecordingActions : ISwarmActions
{
    public List<IPEndPoint> Dials { get; } = new();

    public List<PieceProgress> Checks { get; } = new();

    public List<SwarmAnnounce> Announces { get; } = new();

    public List<string> Diagnostics { get; } = new();

    public bool Completed { get; private set; }

    public void Dial(IPEndPoint endPoint) => Dials.Add(endPoint);

    public void Verify(PieceProgress piece) => Checks.Add(piece);

    public void Announce(SwarmAnnounce announce) => Announces.Add(announce);

    void ISwarmActions.Completed() => Completed = true;

    public void Diagnostic(string message) => Diagnostics.Add(message);
}
