using Murder.Core;

namespace Murder.Cmdlets.Fleet;

/// <summary>How starting one host's peer ended: it runs (Error null), or why it could not start.</summary>
internal sealed record LaunchOutcome(string ComputerName, MurderException? Error);
