namespace Murder.Core.PeerWire;

/// <summary>The sizes and bounds of the peer wire protocol as Murder speaks it.</summary>
public static class PeerWireLimits
{
    /// <summary>The block size every request uses and the most a peer may ask for (16 KiB).</summary>
    public const int BlockLength = 16 * 1024;

    /// <summary>The bytes of a length prefix.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>The hard cap on a message's length (after its prefix): 1 MiB and a little, as libtorrent and anacrolix do.</summary>
    public const int MaxMessageLength = (1024 * 1024) + 16;

    /// <summary>The most pieces a torrent may have (libtorrent's limit); its bitfield is 256 KiB.</summary>
    public const int MaxPieceCount = 2_097_152;

    /// <summary>A piece message's header: length prefix, id, index, begin.</summary>
    public const int PieceHeaderSize = 13;

    /// <summary>A request or cancel message with its prefix.</summary>
    public const int RequestMessageSize = 17;

    /// <summary>A have message with its prefix.</summary>
    public const int HaveMessageSize = 9;

    /// <summary>A message without payload (choke, unchoke, interested, not interested) with its prefix.</summary>
    public const int StateMessageSize = 5;

    /// <summary>A keep-alive: the length prefix 0.</summary>
    public const int KeepAliveSize = 4;

    /// <summary>A port message with its prefix.</summary>
    public const int PortMessageSize = 7;

    /// <summary>The bytes a bitfield of <paramref name="pieceCount"/> pieces takes on the wire.</summary>
    public static int BitfieldByteCount(int pieceCount) => (int)(((long)pieceCount + 7) / 8);
}
