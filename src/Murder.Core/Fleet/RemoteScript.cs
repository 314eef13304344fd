using System;
using System.Collections.Generic;
using System.Text;

namespace Murder.Core.Fleet;

/// <summary>
/// Builds the PowerShell that runs on a remote host. Every value is a quoted literal
/// (<see cref="PowerShellArguments"/>); results come back one line each as
/// "MURDER-KIND BASE64": OBJECT (CliXml of an output object), WARNING, ERROR (JSON with ErrorId,
/// Category and Message) and END, so banners or other noise on the channel cannot be mistaken for
/// results. Over SSH the lines go to standard output; in a PSRemoting session they are output.
/// </summary>
public static class RemoteScript
{
    /// <summary>The prefix of every result line.</summary>
    public const string LinePrefix = "MURDER-";

    /// <summary>ErrorId of a host where RemoteMurderPath holds no module.</summary>
    public const string ModuleNotFound = "RemoteModuleNotFound";

    /// <summary>Invokes a Murder cmdlet on the host, importing the module from <paramref name="remoteMurderPath"/>.</summary>
    /// <param name="remoteMurderPath">Where the module is on the host.</param>
    /// <param name="command">The cmdlet.</param>
    /// <param name="parameters">Its parameters (quoted literals).</param>
    /// <param name="writeToConsole">Write result lines to the console (SSH) rather than as output (PSRemoting).</param>
    /// <param name="environment">Environment variables to set first (quoted literals), or null.</param>
    public static string InvokeCmdlet(string remoteMurderPath, string command, IReadOnlyList<KeyValuePair<string, object?>> parameters, bool writeToConsole, IReadOnlyList<KeyValuePair<string, string>>? environment = null)
    {
        string invocation = PowerShellArguments.Invocation(command, parameters);
        var variables = new StringBuilder();
        foreach (KeyValuePair<string, string> variable in environment ?? Array.Empty<KeyValuePair<string, string>>())
        {
            variables.Append("[Environment]::SetEnvironmentVariable(").Append(PowerShellArguments.Quote(variable.Key)).Append(", ").Append(PowerShellArguments.Quote(variable.Value)).Append(")\n");
        }

        string body = variables.ToString() +
            $"$murderManifest = Join-Path -Path {PowerShellArguments.Quote(remoteMurderPath)} -ChildPath 'Murder.psd1'\n" +
            "if (-not (Test-Path -LiteralPath $murderManifest -PathType Leaf)) {\n" +
            $"    Send-MurderError '{ModuleNotFound}' 'ObjectNotFound' \"Murder is not installed at $murderManifest on $([Environment]::MachineName). Install it there with Install-MurderModule.\"\n" +
            "} else {\n" +
            "    Import-Module -Name $murderManifest -ErrorAction Stop\n" +
            $"    {invocation} -WarningVariable +murderWarnings | ForEach-Object {{ Send-MurderLine 'OBJECT' ([System.Management.Automation.PSSerializer]::Serialize($_, 3)) }}\n" +
            "}\n";
        return Wrap(body, writeToConsole);
    }

    /// <summary>
    /// Wraps a script body: strict errors, no progress, the Send-MurderLine/Send-MurderError helpers,
    /// every terminating error sent as an ERROR line, and END when the body finished. The body must
    /// not use return (it runs at the script's top level).
    /// </summary>
    public static string Wrap(string body, bool writeToConsole)
    {
        ArgumentNullException.ThrowIfNull(body);
        var script = new StringBuilder();
        script.Append("$ErrorActionPreference = 'Stop'\n");
        script.Append("$ProgressPreference = 'SilentlyContinue'\n");
        script.Append("$WarningPreference = 'SilentlyContinue'\n");
        script.Append("$InformationPreference = 'SilentlyContinue'\n");
        script.Append("$murderWarnings = [System.Collections.ArrayList]::new()\n");
        script.Append("function Send-MurderLine([string] $Kind, [string] $Text) {\n");
        script.Append($"    $line = '{LinePrefix}' + $Kind + ' ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text))\n");
        script.Append(writeToConsole ? "    [Console]::Out.WriteLine($line); [Console]::Out.Flush()\n" : "    $line\n");
        script.Append("}\n");
        script.Append("function Send-MurderError([string] $ErrorId, [string] $Category, [string] $Message) {\n");
        script.Append("    Send-MurderLine 'ERROR' (ConvertTo-Json -Compress -InputObject ([ordered]@{ ErrorId = $ErrorId; Category = $Category; Message = $Message }))\n");
        script.Append("}\n");
        script.Append("try {\n");
        foreach (string line in body.Split('\n'))
        {
            if (line.Length > 0)
            {
                script.Append("    ").Append(line).Append('\n');
            }
        }

        script.Append("} catch {\n");
        script.Append("    Send-MurderError $_.FullyQualifiedErrorId.Split(',')[0] \"$($_.CategoryInfo.Category)\" $_.Exception.Message\n");
        script.Append("} finally {\n");
        script.Append("    foreach ($murderWarning in $murderWarnings) { Send-MurderLine 'WARNING' \"$murderWarning\" }\n");
        script.Append("}\n");
        script.Append("Send-MurderLine 'END' ''\n");
        return script.ToString();
    }
}
