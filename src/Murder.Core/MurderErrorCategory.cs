namespace Murder.Core;

/// <summary>
/// Error categories. The names match System.Management.Automation.ErrorCategory so the cmdlet layer
/// maps them by name; the core stays free of PowerShell.
/// </summary>
public enum MurderErrorCategory
{
    /// <summary>Anything else.</summary>
    NotSpecified,
    /// <summary>A parameter value is not acceptable.</summary>
    InvalidArgument,
    /// <summary>Input data (a torrent, an archive) is malformed.</summary>
    InvalidData,
    /// <summary>A file or object that must exist does not.</summary>
    ObjectNotFound,
    /// <summary>Something that must not exist already does.</summary>
    ResourceExists,
    /// <summary>Writing failed.</summary>
    WriteError,
    /// <summary>Reading failed.</summary>
    ReadError,
    /// <summary>The operation was cancelled.</summary>
    OperationStopped,
    /// <summary>A limit was exceeded.</summary>
    LimitsExceeded,
    /// <summary>Access was refused.</summary>
    PermissionDenied,
    /// <summary>A network or remote failure.</summary>
    ConnectionError,
    /// <summary>The object is in the wrong state for the operation.</summary>
    InvalidOperation,
}
