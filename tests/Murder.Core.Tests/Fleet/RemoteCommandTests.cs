using System;
using System.Collections.Generic;
using System.Text;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public class RemoteCommandTests
{
    [Fact]
    public void Arguments_are_quoted_so_no_value_can_end_its_literal()
    {
        string invocation = PowerShellArguments.Invocation("Invoke-MurderPeer", new List<KeyValuePair<string, object?>>
        {
            new("Tag", "x'; Remove-Item -Recurse / ; '"),
            new("Port", 8998),
            new("Names", new[] { "a", "b\u2019c" }),
            new("Force", true),
            new("Skip", false),
            new("Nothing", null),
        });
        Assert.Equal("Invoke-MurderPeer -Tag 'x''; Remove-Item -Recurse / ; ''' -Port 8998 -Names @('a','b\u2019\u2019c') -Force", invocation);
    }

    [Theory]
    [InlineData("Bad Name")]
    [InlineData("Tag;x")]
    [InlineData("")]
    public void Parameter_names_must_be_plain(string name)
    {
        Assert.Throws<ArgumentException>(() => PowerShellArguments.Invocation("Get-Item", new List<KeyValuePair<string, object?>> { new(name, "x") }));
    }

    [Fact]
    public void The_remote_line_carries_the_script_only_as_Base64()
    {
        string script = "Write-Output 'a \"b\" $c `d'";
        string line = RemoteCommandLine.Build("/opt/microsoft/powershell/7/pwsh", script);
        string prefix = "/opt/microsoft/powershell/7/pwsh -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand ";
        Assert.StartsWith(prefix, line, StringComparison.Ordinal);
        Assert.Equal(script, Encoding.Unicode.GetString(Convert.FromBase64String(line[prefix.Length..])));
        Assert.StartsWith("\"C:\\Program Files\\PowerShell\\7\\pwsh.exe\" -NoProfile", RemoteCommandLine.Build(@"C:\Program Files\PowerShell\7\pwsh.exe", script), StringComparison.Ordinal);
    }

    [Fact]
    public void The_agent_line_carries_its_arguments_only_as_Base64_and_they_decode_to_the_same_values()
    {
        var arguments = new List<KeyValuePair<string, object?>>
        {
            new("Tag", "Release-1"),
            new("DestinationPath", "/srv/rel eases/$(reboot)'\"`;|&"),
            new("SeedSeconds", 45),
            new("UnsafePleaseDelete", true),
            new("Nothing", null),
        };
        string line = RemoteCommandLine.BuildAgent("/usr/bin/dotnet", "/usr/local/murder/bin/Murder.Agent.dll", arguments);
        string prefix = " Invoke-MurderPeer -Remote ";
        string encoded = line[(line.LastIndexOf(prefix, StringComparison.Ordinal) + prefix.Length)..];
        Assert.All(encoded, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=', $"'{c}' in the Base64 part"));
        Assert.Equal(
            new[] { "-Tag", "Release-1", "-DestinationPath", "/srv/rel eases/$(reboot)'\"`;|&", "-SeedSeconds", "45", "-UnsafePleaseDelete", "True" },
            RemoteCommandLine.DecodeAgentArguments(encoded));
        Assert.StartsWith("\"C:\\Program Files\\dotnet\\dotnet.exe\" \"C:\\Murder Module\\bin\\Murder.Agent.dll\" Invoke-MurderPeer", RemoteCommandLine.BuildAgent(@"C:\Program Files\dotnet\dotnet.exe", @"C:\Murder Module\bin\Murder.Agent.dll", arguments), StringComparison.Ordinal);
        Assert.Equal("InvalidConfiguration", Assert.Throws<MurderException>(() => RemoteCommandLine.BuildAgent("dotnet;reboot", "/a.dll", arguments)).ErrorId);
        Assert.Equal("InvalidConfiguration", Assert.Throws<MurderException>(() => RemoteCommandLine.BuildAgent("dotnet", "/srv/$(x)/a.dll", arguments)).ErrorId);
        Assert.Equal("AgentUsage", Assert.Throws<MurderException>(() => RemoteCommandLine.DecodeAgentArguments("not base64!")).ErrorId);
    }

    [Fact]
    public void A_started_line_carries_the_detached_agents_process_id()
    {
        string line = RemoteScript.LinePrefix + "STARTED " + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"ProcessId\":4242}"));
        RemoteLine? parsed = RemoteLine.TryParse(line);
        Assert.NotNull(parsed);
        Assert.Equal(RemoteLineKind.Started, parsed.Kind);
        Assert.Equal("{\"ProcessId\":4242}", parsed.Text);
        Assert.Null(RemoteLine.TryParse(RemoteScript.LinePrefix + "PEER " + Convert.ToBase64String(new byte[] { 1 })));
    }

    [Theory]
    [InlineData("pwsh; reboot")]
    [InlineData("pwsh$(x)")]
    [InlineData("pwsh`x")]
    [InlineData("-c")]
    [InlineData("pwsh\"x")]
    [InlineData("pwsh|x")]
    public void Unsafe_pwsh_paths_are_refused(string path)
    {
        Assert.NotNull(RemoteCommandLine.CheckExecutable(path));
        Assert.Equal("InvalidConfiguration", Assert.Throws<MurderException>(() => RemoteCommandLine.Build(path, "1")).ErrorId);
    }

    [Fact]
    public void The_cmdlet_script_checks_for_the_module_and_quotes_the_module_path()
    {
        string script = RemoteScript.InvokeCmdlet("/srv/it's", "Stop-MurderPeering", new List<KeyValuePair<string, object?>> { new("Tag", "T") }, writeToConsole: true);
        Assert.Contains("Join-Path -Path '/srv/it''s' -ChildPath 'Murder.psd1'", script, StringComparison.Ordinal);
        Assert.Contains(RemoteScript.ModuleNotFound, script, StringComparison.Ordinal);
        Assert.Contains("Stop-MurderPeering -Tag 'T' -WarningVariable +murderWarnings", script, StringComparison.Ordinal);
        Assert.Contains("[Console]::Out.WriteLine", script, StringComparison.Ordinal);
        Assert.DoesNotContain("[Console]::Out", RemoteScript.InvokeCmdlet("/m", "Stop-MurderPeering", new List<KeyValuePair<string, object?>>(), writeToConsole: false), StringComparison.Ordinal);
    }

    [Fact]
    public void Result_lines_decode_and_noise_is_ignored()
    {
        static string Line(string kind, string text) => "MURDER-" + kind + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        Assert.Equal(new RemoteLine(RemoteLineKind.Warning, "careful"), RemoteLine.TryParse(Line("WARNING", "careful")));
        Assert.Equal(RemoteLineKind.End, RemoteLine.TryParse(Line("END", string.Empty))!.Kind);
        Assert.Null(RemoteLine.TryParse("Welcome to host1"));
        Assert.Null(RemoteLine.TryParse("MURDER-OBJECT not-base64!"));
        Assert.Null(RemoteLine.TryParse("MURDER-BOGUS " + Convert.ToBase64String(new byte[] { 1 })));

        MurderException error = RemoteLine.TryParse(Line("ERROR", "{\"ErrorId\":\"DestinationNotEmpty\",\"Category\":\"ResourceExists\",\"Message\":\"full\"}"))!.ToException("web1");
        Assert.Equal("DestinationNotEmpty", error.ErrorId);
        Assert.Equal(MurderErrorCategory.ResourceExists, error.Category);
        Assert.Equal("web1: full", error.Message);
        Assert.Equal("web1", error.TargetObject);
        Assert.Equal("RemoteCommandFailed", RemoteLine.TryParse(Line("ERROR", "{\"ErrorId\":\"a b,c\"}"))!.ToException("h").ErrorId);
    }

    [Fact]
    public void Remote_paths_keep_their_style()
    {
        Assert.Equal("/tmp/T.tgz", RemotePath.Combine("/tmp/", "T.tgz"));
        Assert.Equal(@"C:\Temp\T.tgz", RemotePath.Combine(@"C:\Temp", "T.tgz"));
        Assert.Equal("/T.tgz", RemotePath.Combine("/", "T.tgz"));
    }
}
