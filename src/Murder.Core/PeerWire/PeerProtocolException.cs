using System;

namespace Murder.Core.PeerWire;

/// <summary>
/// A peer broke the wire protocol: the connection must be dropped. <see cref="Reason"/> says why
/// in a form the engine can count (to ban a peer), the message says it for a person.
/// </summary>
public sealed class PeerProtocolException : MurderException
{
    /// <summary>The stable ErrorId of every peer protocol violation.</summary>
    public const string ProtocolErrorId = "PeerProtocolViolation";

    /// <summary>Creates the error for a violation.</summary>
    public PeerProtocolException(PeerProtocolError reason, string message)
        : base(ProtocolErrorId, MurderErrorCategory.InvalidData, message)
    {
        Reason = reason;
    }

    /// <summary>Creates a generic violation (for serializers and tools).</summary>
    public PeerProtocolException()
        : this(PeerProtocolError.None, "The peer broke the BitTorrent protocol.")
    {
    }

    /// <summary>Creates a violation with a message.</summary>
    public PeerProtocolException(string message)
        : this(PeerProtocolError.None, message)
    {
    }

    /// <summary>Creates a violation with a message and a cause.</summary>
    public PeerProtocolException(string message, Exception innerException)
        : base(ProtocolErrorId, MurderErrorCategory.InvalidData, message, innerException)
    {
    }

    /// <summary>What was wrong.</summary>
    public PeerProtocolError Reason { get; }
}
