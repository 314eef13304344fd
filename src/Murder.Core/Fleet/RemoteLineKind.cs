namespace Murder.Core.Fleet;

/// <summary>The kinds of result line a remote script writes.</summary>
public enum RemoteLineKind
{
    /// <summary>An output object as CliXml (OBJECT).</summary>
    Result,
    /// <summary>A warning's text.</summary>
    Warning,
    /// <summary>An error as JSON (ErrorId, Category, Message).</summary>
    Error,
    /// <summary>The script ran to its end.</summary>
    End,
    /// <summary>A peer run was started detached; its process id as JSON (STARTED).</summary>
    Started,
}
