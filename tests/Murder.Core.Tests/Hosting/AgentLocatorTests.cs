using System;
using System.IO;
using System.Runtime.InteropServices;
using Murder.Core.Hosting;
using Xunit;

namespace Murder.Core.Tests.Hosting;

public sealed class AgentLocatorTests : IDisposable
{
    private const string Dotnet = "/usr/share/dotnet/dotnet";
    private readonly TempDirectory _bin = new();

    public AgentLocatorTests()
    {
        _bin.WriteFile(AgentHost.AssemblyFileName, "managed");
        _bin.WriteFile("Murder.Agent.runtimeconfig.json", "{}");
    }

    public void Dispose() => _bin.Dispose();

    [Fact]
    public void Only_Linux_x64_has_a_native_agent()
    {
        Assert.Equal("linux-x64", AgentLocator.NativeRuntimeIdentifier(isLinux: true, Architecture.X64));
        Assert.Null(AgentLocator.NativeRuntimeIdentifier(isLinux: true, Architecture.Arm64));
        Assert.Null(AgentLocator.NativeRuntimeIdentifier(isLinux: false, Architecture.X64));
    }

    [SkippableFact]
    public void On_Linux_x64_the_native_agent_is_chosen_and_started_without_an_assembly_argument()
    {
        Skip.If(OperatingSystem.IsWindows(), "the native agent is chosen by its Unix execute bit, which Windows has not");
        string native = WriteNative(executable: true);

        AgentHost? agent = AgentLocator.Find(_bin.Path, forced: null, "linux-x64", () => Dotnet);

        Assert.NotNull(agent);
        Assert.True(agent.IsNative);
        Assert.Equal(native, agent.Executable);
        Assert.Equal(new[] { "Start-MurderTracker", "-Port", "8998" }, DetachedProcess.AgentArguments(agent, "Start-MurderTracker", [new("Port", 8998)], "unused.log"));
        Assert.Equal(new[] { "Start-MurderTracker", "-AllowedHostName", "a.example,b.example" }, DetachedProcess.AgentArguments(agent, "Start-MurderTracker", [new("AllowedHostName", new[] { "a.example", "b.example" })], "unused.log"));
        Assert.True(AgentLocator.Find(_bin.Path, "agent", "linux-x64", () => null)!.IsNative, "agent prefers the native one, and needs no dotnet for it");
        // Assembly.Location is empty inside a native executable: an agent built from it is still native.
        Assert.Equal(new[] { "Start-MurderTracker" }, DetachedProcess.AgentArguments(new AgentHost(native, string.Empty), "Start-MurderTracker", [], "unused.log"));
    }

    [SkippableFact]
    public void The_managed_agent_runs_where_there_is_no_executable_native_one_or_when_forced()
    {
        Skip.If(OperatingSystem.IsWindows(), "the native agent is chosen by its Unix execute bit, which Windows has not");
        string assembly = Path.Combine(_bin.Path, AgentHost.AssemblyFileName);

        Assert.Equal(AgentHost.Managed(Dotnet, assembly), AgentLocator.Find(_bin.Path, null, "linux-x64", () => Dotnet));
        WriteNative(executable: false);
        Assert.Equal(AgentHost.Managed(Dotnet, assembly), AgentLocator.Find(_bin.Path, null, "linux-x64", () => Dotnet));
        WriteNative(executable: true);
        Assert.Equal(AgentHost.Managed(Dotnet, assembly), AgentLocator.Find(_bin.Path, "managed", "linux-x64", () => Dotnet));
        Assert.Equal(AgentHost.Managed(Dotnet, assembly), AgentLocator.Find(_bin.Path, null, nativeRuntimeIdentifier: null, () => Dotnet));
        Assert.Equal([assembly, "Invoke-MurderPeer"], DetachedProcess.AgentArguments(AgentHost.Managed(Dotnet, assembly), "Invoke-MurderPeer", [], "unused.log"));
    }

    [SkippableFact]
    public void A_native_agent_this_system_cannot_load_gives_way_to_the_managed_one()
    {
        Skip.If(OperatingSystem.IsWindows(), "the native agent is chosen by its Unix execute bit, which Windows has not");
        // What the loader does with an executable that needs a newer glibc: exit 127 before main.
        string native = _bin.WriteFile("linux-x64/" + AgentHost.NativeFileName, "#!/bin/sh\nexit 127\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(native, (UnixFileMode)0b111_101_101);
        }

        Assert.Equal(AgentHost.Managed(Dotnet, Path.Combine(_bin.Path, AgentHost.AssemblyFileName)), AgentLocator.Find(_bin.Path, null, "linux-x64", () => Dotnet));
    }

    [SkippableFact]
    public void Pwsh_means_no_agent_and_a_forced_agent_that_cannot_run_is_an_error()
    {
        Skip.If(OperatingSystem.IsWindows(), "the native agent is chosen by its Unix execute bit, which Windows has not");
        WriteNative(executable: true);
        Assert.Null(AgentLocator.Find(_bin.Path, "pwsh", "linux-x64", () => Dotnet));
        Assert.Null(AgentLocator.Find(_bin.Path, null, null, () => null));

        Assert.Equal("BackgroundHostNotFound", Assert.Throws<MurderException>(() => AgentLocator.Find(_bin.Path, "native", null, () => Dotnet)).ErrorId);
        Assert.Equal("BackgroundHostNotFound", Assert.Throws<MurderException>(() => AgentLocator.Find(_bin.Path, "managed", "linux-x64", () => null)).ErrorId);
        MurderException error = Assert.Throws<MurderException>(() => AgentLocator.Find(_bin.Path, "agent", null, () => null));
        Assert.Contains("MURDER_BACKGROUND_HOST", error.Message, StringComparison.Ordinal);
    }

    private string WriteNative(bool executable)
    {
        string path = _bin.WriteFile("linux-x64/" + AgentHost.NativeFileName, "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
        }

        return path;
    }
}
