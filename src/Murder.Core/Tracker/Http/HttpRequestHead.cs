namespace Murder.Core.Tracker.Http;

/// <summary>
/// A parsed request head as offsets into the receive buffer, so parsing allocates nothing.
/// </summary>
internal struct HttpRequestHead
{
    /// <summary>HEAD instead of GET: the response carries no body.</summary>
    public bool IsHead;

    /// <summary>Offset of the request target (starts with '/').</summary>
    public int TargetStart;

    /// <summary>Length of the whole target, query included.</summary>
    public int TargetLength;

    /// <summary>Length of the path part (up to '?').</summary>
    public int PathLength;

    /// <summary>Offset of the Host header's value, or -1.</summary>
    public int HostStart;

    /// <summary>Length of the Host header's value.</summary>
    public int HostLength;

    /// <summary>Whether the connection stays open after the response.</summary>
    public bool KeepAlive;

    /// <summary>Bytes of the head, including the blank line that ends it.</summary>
    public int Length;

    /// <summary>Why the head is invalid (for the error response), when it is.</summary>
    public string? Error;
}
