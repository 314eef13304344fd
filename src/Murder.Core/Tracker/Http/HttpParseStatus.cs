namespace Murder.Core.Tracker.Http;

/// <summary>What parsing a request head from the bytes received so far gave.</summary>
internal enum HttpParseStatus
{
    /// <summary>More bytes are needed.</summary>
    Incomplete,

    /// <summary>A whole, valid request head.</summary>
    Complete,

    /// <summary>Malformed: answer 400 and close.</summary>
    Invalid,

    /// <summary>The head exceeds the size limit: answer 431 and close.</summary>
    TooLarge,

    /// <summary>A method other than GET or HEAD: answer 405 and close.</summary>
    MethodNotAllowed,

    /// <summary>Not HTTP/1.0 or HTTP/1.1: answer 505 and close.</summary>
    VersionNotSupported,
}
