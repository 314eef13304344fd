using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Murder.Core.Fleet;

/// <summary>The commented murder.psd1 that New-MurderConfig writes.</summary>
public static class FleetConfigurationTemplate
{
    /// <summary>A configuration file holding <paramref name="config"/>'s values, every key explained.</summary>
    public static string Render(FleetConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var text = new StringBuilder();
        text.Append("# Murder fleet configuration, read like Import-PowerShellDataFile: constant values only, no code runs.\n");
        text.Append("# Every Murder cmdlet reads ./murder.psd1 (or -ConfigPath); parameters on the command line win.\n");
        text.Append("@{\n");
        Line(text, "SSH user; the current user when $null.", "User", config.User);
        Line(text, "Appended to every host name that is not an IP address, as Murder's host_suffix: 'web1' becomes 'web1.example.com'.", "HostSuffix", config.HostSuffix);
        Line(text, "Where the tracker runs; the seeder when $null.", "TrackerHost", config.TrackerHost);
        Line(text, "The tracker's port.", "TrackerPort", config.TrackerPort);
        Line(text, "Where releases are packed and seeded from; the first peer when $null.", "SeederHost", config.SeederHost);
        text.Append("    # Every server that receives releases. A host may carry its own SSH port: 'web9:2222'.\n");
        text.Append("    Peers                  = @(").Append(string.Join(", ", config.Peers.Select(PowerShellArguments.Quote))).Append(")\n\n");
        Line(text, "The tag used when a command gets none: letters, digits, '.', '_' and '-'.", "DefaultTag", config.DefaultTag);
        Line(text, "The release directory on the seeder (Murder's files_path).", "DefaultSeederFilesPath", config.DefaultSeederFilesPath);
        Line(text, "Where releases go on every peer: DESTINATION/TAG.", "DefaultDestinationPath", config.DefaultDestinationPath);
        Line(text, "The directory on every host holding the module (Install-MurderModule puts it there).", "RemoteMurderPath", config.RemoteMurderPath);
        Line(text, "PowerShell 7 on every host.", "RemotePwshPath", config.RemotePwshPath);
        Line(text, "The dotnet host that runs Invoke-MurderPeer's agent directly, without a PowerShell start-up on each peer; hosts without a .NET 8+ runtime use RemotePwshPath. $null: always PowerShell.", "RemoteDotnetPath", config.RemoteDotnetPath);
        Line(text, "Where torrents and artifacts go on the hosts.", "TempPath", config.TempPath);
        Line(text, "SSH port of hosts that name none.", "SshPort", config.SshPort);
        Line(text, "The SSH private key; ~/.ssh/id_ed25519, id_ecdsa or id_rsa when $null.", "SshKeyPath", config.SshKeyPath);
        Line(text, "Host keys are checked against this OpenSSH known_hosts file; ~/.ssh/known_hosts when $null.", "KnownHostsPath", config.KnownHostsPath);
        Line(text, "Seconds to wait for a host to answer.", "ConnectTimeoutSeconds", config.ConnectTimeoutSeconds);
        Line(text, "How many hosts are worked on at once.", "ThrottleLimit", config.ThrottleLimit);
        text.Append("}\n");
        return text.ToString();
    }

    private static void Line(StringBuilder text, string comment, string key, object? value)
    {
        text.Append("    # ").Append(comment).Append('\n');
        string literal = value switch
        {
            null => "$null",
            int number => number.ToString(CultureInfo.InvariantCulture),
            string s => PowerShellArguments.Quote(s),
            _ => throw new ArgumentException(key, nameof(value)),
        };
        text.Append("    ").Append(key.PadRight(22)).Append(" = ").Append(literal).Append("\n\n");
    }
}
