namespace Murder.Core.Tracker;

/// <summary>A parsed, validated announce (BEP 3) as the registry needs it.</summary>
internal struct AnnounceRequest
{
    public Hash20 InfoHash;
    public Hash20 PeerId;
    public int Port;
    public long Uploaded;
    public long Downloaded;
    public long Left;
    public TrackerEvent Event;

    /// <summary>Compact peer lists (BEP 23); dictionary lists when the client sends compact=0.</summary>
    public bool Compact;

    /// <summary>Leave peer ids out of dictionary peer lists.</summary>
    public bool NoPeerId;

    /// <summary>Peers wanted; -1 when the client did not say.</summary>
    public int NumWant;

    /// <summary>The ip= parameter, when given and valid.</summary>
    public PeerAddress? Ip;

    /// <summary>Whether an ip= parameter was present (valid or not).</summary>
    public bool HasIpParameter;

    /// <summary>The murder_key= parameter (see <see cref="SwarmKey"/>), when given as 32 hexadecimal digits.</summary>
    public SwarmKeyValue SwarmKey;
}
