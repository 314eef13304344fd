using System;

namespace Murder.Core.MetaInfo;

/// <summary>A .torrent file that is malformed or unsafe.</summary>
public sealed class MetaInfoException : FormatException
{
    /// <summary>Creates the error.</summary>
    public MetaInfoException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
