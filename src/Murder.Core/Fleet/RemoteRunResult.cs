namespace Murder.Core.Fleet;

/// <summary>How a remote PowerShell run ended: its exit code (null when the transport has none) and what it wrote to standard error.</summary>
public sealed record RemoteRunResult(int? ExitCode, string ErrorOutput);
