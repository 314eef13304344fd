namespace Murder.Core.Hosting;

/// <summary>The agent (Murder.Agent.dll) and the dotnet host that runs it.</summary>
public sealed record AgentHost(string Dotnet, string Path);
