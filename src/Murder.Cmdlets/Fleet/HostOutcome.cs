using System.Collections.Generic;
using Murder.Core;

namespace Murder.Cmdlets.Fleet;

/// <summary>What one host's work produced: objects to write, warnings, an error, bytes moved.</summary>
internal sealed class HostOutcome
{
    public List<object> Objects { get; } = new();

    public List<string> Warnings { get; } = new();

    public MurderException? Error { get; set; }

    public long Bytes { get; set; }

    /// <summary>Whether the host's agent answered STARTED: a peer runs there, detached.</summary>
    public bool Started { get; set; }

    public static HostOutcome Failed(MurderException error) => new() { Error = error };
}
