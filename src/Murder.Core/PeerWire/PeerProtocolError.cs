namespace Murder.Core.PeerWire;

/// <summary>Why a peer broke the protocol. The engine drops the connection for any of them.</summary>
public enum PeerProtocolError
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The handshake does not start with 19 "BitTorrent protocol".</summary>
    InvalidHandshake,
    /// <summary>The handshake is for a torrent this side does not serve.</summary>
    UnknownInfoHash,
    /// <summary>A length prefix with the top bit set (negative as a signed integer).</summary>
    NegativeLength,
    /// <summary>A length prefix over the hard cap for any message.</summary>
    MessageTooLong,
    /// <summary>A message whose length does not fit its id (a 'have' that is not 5 bytes, a block over 16 KiB...).</summary>
    InvalidMessageLength,
    /// <summary>A piece index past the last piece.</summary>
    PieceIndexOutOfRange,
    /// <summary>A bitfield that is not exactly ceil(pieces / 8) bytes.</summary>
    BitfieldWrongSize,
    /// <summary>A bitfield with bits set past the last piece.</summary>
    BitfieldSpareBitsSet,
    /// <summary>A block length of zero or over the block size.</summary>
    InvalidBlockLength,
    /// <summary>A block offset that is not a multiple of the block size.</summary>
    BlockMisaligned,
    /// <summary>A block that runs past the end of its piece.</summary>
    BlockOutOfRange,
    /// <summary>A piece message for a block this side did not request (reported by the engine).</summary>
    UnrequestedBlock,
}
