using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

/// <summary>
/// The program part of the agent's SSH line: the native agent on Linux x86_64 where it is
/// executable, else the dotnet host; run here by a real /bin/sh with stand-ins for the programs.
/// </summary>
public sealed class RemoteAgentLauncherTests : IDisposable
{
    private static readonly List<KeyValuePair<string, object?>> Arguments = [new("Tag", "Release-1"), new("DestinationPath", "/srv/rel eases/$(reboot)'\"")];
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_Windows_host_gets_the_same_line_as_before()
    {
        string line = RemoteCommandLine.BuildAgent(@"C:\Program Files\dotnet\dotnet.exe", @"C:\Murder Module\bin\Murder.Agent.dll", Arguments);

        Assert.Equal("\"C:\\Program Files\\dotnet\\dotnet.exe\" \"C:\\Murder Module\\bin\\Murder.Agent.dll\" Invoke-MurderPeer -Remote " + RemoteCommandLine.EncodeAgentArguments(Arguments), line);
    }

    [Fact]
    public void A_POSIX_line_has_no_single_quote_but_its_own_and_refuses_unsafe_paths()
    {
        string line = RemoteCommandLine.BuildAgent("dotnet", "/usr/local/murder/bin/Murder.Agent.dll", Arguments);

        Assert.StartsWith("sh -c 'if [ \"$(uname -sm)\" = \"Linux x86_64\" ] && [ -x \"/usr/local/murder/bin/linux-x64/murder-agent\" ]; then ", line, StringComparison.Ordinal);
        Assert.Equal(2, line.Split('\'').Length - 1);
        Assert.EndsWith("' murder-agent Invoke-MurderPeer -Remote " + RemoteCommandLine.EncodeAgentArguments(Arguments), line, StringComparison.Ordinal);
        Assert.Equal("InvalidConfiguration", Assert.Throws<MurderException>(() => RemoteCommandLine.BuildAgent("dotnet", "/srv/it's/bin/Murder.Agent.dll", Arguments)).ErrorId);
    }

    [SkippableTheory]
    [InlineData("Linux x86_64", true, false, "native")]
    [InlineData("Linux x86_64", false, false, "managed")]
    [InlineData("Linux x86_64", true, true, "managed")]
    [InlineData("Linux aarch64", true, false, "managed")]
    [InlineData("Darwin x86_64", true, false, "managed")]
    public void The_host_runs_the_native_agent_only_on_Linux_x86_64_when_it_is_executable_and_loads(string uname, bool executable, bool loaderRefuses, string expected)
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the line in /bin/sh");
        string module = _root.Combine("murder (test) module");
        // A loader that refuses the executable (too old a glibc) exits 127 before it reads anything.
        string native = Script(Path.Combine(module, "bin", "linux-x64", "murder-agent"), loaderRefuses ? "exit 127" : "echo native \"$@\" \"$(cat)\"", executable);
        Script(_root.Combine("tools", "dotnet"), "echo managed \"$@\" \"$(cat)\"", executable: true);
        Script(_root.Combine("tools", "uname"), $"echo '{uname}'", executable: true);
        string agent = Path.Combine(module, "bin", "Murder.Agent.dll");
        string line = RemoteCommandLine.BuildAgent(_root.Combine("tools", "dotnet"), agent, Arguments);

        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(line);
        start.Environment["PATH"] = _root.Combine("tools") + ":/usr/bin:/bin";
        using Process shell = Process.Start(start)!;
        shell.StandardInput.Write("torrent bytes");
        shell.StandardInput.Close();
        string output = shell.StandardOutput.ReadToEnd().Trim();
        Assert.True(shell.WaitForExit(30_000));

        string arguments = "Invoke-MurderPeer -Remote " + RemoteCommandLine.EncodeAgentArguments(Arguments) + " torrent bytes";
        Assert.Equal(expected == "native" ? "native " + arguments : "managed " + agent + " " + arguments, output);
        Assert.True(File.Exists(native));
    }

    private static string Script(string path, string body, bool executable)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
        }

        return path;
    }
}
