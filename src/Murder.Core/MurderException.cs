using System;

namespace Murder.Core;

/// <summary>
/// An error the user can act on. <see cref="ErrorId"/> is stable (tests and scripts match on it);
/// the message says what went wrong and what to do.
/// </summary>
public class MurderException : Exception
{
    /// <summary>Creates an error with a stable id, a category and a message that says what to do.</summary>
    public MurderException(string errorId, MurderErrorCategory category, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Category = category;
    }

    /// <summary>A stable PascalCase identifier, such as <c>InvalidTag</c>.</summary>
    public string ErrorId { get; }

    /// <summary>What kind of error this is; the cmdlets map it to PowerShell's ErrorCategory.</summary>
    public MurderErrorCategory Category { get; }

    /// <summary>The object the error is about (a path, a tag, a host), if any.</summary>
    public object? TargetObject { get; init; }
}
