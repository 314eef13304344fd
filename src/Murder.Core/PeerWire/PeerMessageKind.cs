namespace Murder.Core.PeerWire;

/// <summary>
/// The kinds of peer wire messages (BEP 3). The values 0-9 and 20 are the message ids on the wire;
/// <see cref="KeepAlive"/> (no id) and <see cref="Unknown"/> (any other id) lie outside the byte range.
/// </summary>
public enum PeerMessageKind
{
    /// <summary>The sender will not serve requests.</summary>
    Choke = 0,
    /// <summary>The sender will serve requests.</summary>
    Unchoke = 1,
    /// <summary>The sender wants pieces the receiver has.</summary>
    Interested = 2,
    /// <summary>The sender wants nothing from the receiver.</summary>
    NotInterested = 3,
    /// <summary>The sender has completed and verified a piece.</summary>
    Have = 4,
    /// <summary>The pieces the sender has; only as its first message.</summary>
    Bitfield = 5,
    /// <summary>A request for a block.</summary>
    Request = 6,
    /// <summary>A block of data.</summary>
    Piece = 7,
    /// <summary>Withdraws a request.</summary>
    Cancel = 8,
    /// <summary>The sender's DHT port (BEP 5); Murder ignores it.</summary>
    Port = 9,
    /// <summary>An extension protocol message (BEP 10); tolerated and skipped.</summary>
    Extended = 20,
    /// <summary>A zero-length message that keeps the connection open.</summary>
    KeepAlive = 256,
    /// <summary>A message with an id Murder does not know; tolerated and skipped.</summary>
    Unknown = 257,
}
