using System;
using System.IO;

namespace Murder.Core.Hosting;

/// <summary>
/// How to start the module's agent: the native executable (bin/linux-x64/murder-agent, which needs
/// no .NET runtime), or Murder.Agent.dll on a dotnet host.
/// </summary>
/// <param name="Executable">The program to start: the native agent itself, or the dotnet host.</param>
/// <param name="AssemblyPath">Murder.Agent.dll, the dotnet host's first argument; null for the native agent.</param>
public sealed record AgentHost(string Executable, string? AssemblyPath)
{
    /// <summary>The managed agent's file name in the module's bin folder.</summary>
    public const string AssemblyFileName = "Murder.Agent.dll";

    /// <summary>The native agent's file name in bin/RID/.</summary>
    public const string NativeFileName = "murder-agent";

    /// <summary>Whether this is the native agent (no dotnet host, no assembly argument). An empty
    /// path counts as none: that is what Assembly.Location gives inside a native executable.</summary>
    public bool IsNative => string.IsNullOrEmpty(AssemblyPath);

    /// <summary>The program to start (the name callers used when the agent always ran on dotnet).</summary>
    public string Dotnet => Executable;

    /// <summary>The native agent at <paramref name="executable"/>.</summary>
    public static AgentHost Native(string executable) => new(executable, null);

    /// <summary>Murder.Agent.dll at <paramref name="assemblyPath"/>, run by the dotnet host <paramref name="dotnet"/>.</summary>
    public static AgentHost Managed(string dotnet, string assemblyPath) => new(dotnet, assemblyPath);

    /// <summary>
    /// The agent this process is, for an agent that starts another one like itself: the native
    /// executable, or Murder.Agent.dll beside this code when the process is a dotnet host.
    /// </summary>
    public static AgentHost ThisProcess()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        return DotNetHost.IsHostExecutable(process)
            ? Managed(process, Path.Combine(AppContext.BaseDirectory, AssemblyFileName))
            : Native(process);
    }
}
