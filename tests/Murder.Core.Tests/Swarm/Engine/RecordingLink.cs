using System.Collections.Generic;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Sessions;

namespace Murder.Core.Tests.Swarm.Engine;

/// <summary>A link that keeps what the engine sends on it, for tests that play the peer by hand.</summary>
internal sealed class RecordingLink : IPeerLink
{
    public List<OutgoingMessage> Sent { get; } = new();

    public bool Closed { get; private set; }

    public void Send(in OutgoingMessage message) => Sent.Add(message);

    public void Close() => Closed = true;
}
