using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Murder.Core.Fleet;

/// <summary>
/// A fleet's settings (murder.psd1, Murder's Capistrano variables), validated. Roles default as in
/// Murder: every server is a peer, and the tracker and the seeder are the first one.
/// </summary>
public sealed record FleetConfiguration
{
    /// <summary>Murder's tracker port.</summary>
    public const int DefaultTrackerPort = 8998;

    /// <summary>The keys a configuration file may hold, in the order New-MurderConfig writes them.</summary>
    public static readonly IReadOnlyList<string> Keys = new[]
    {
        nameof(User), nameof(HostSuffix), nameof(TrackerHost), nameof(TrackerPort), nameof(SeederHost), nameof(Peers),
        nameof(DefaultTag), nameof(DefaultSeederFilesPath), nameof(DefaultDestinationPath), nameof(RemoteMurderPath),
        nameof(RemotePwshPath), nameof(RemoteDotnetPath), nameof(TempPath), nameof(SshPort), nameof(SshKeyPath), nameof(KnownHostsPath),
        nameof(ConnectTimeoutSeconds), nameof(ThrottleLimit),
    };

    /// <summary>The SSH user; the current user when null.</summary>
    public string? User { get; init; }

    /// <summary>Appended to every host name that is not an IP address (Murder's host_suffix).</summary>
    public string HostSuffix { get; init; } = string.Empty;

    /// <summary>The tracker's host; the seeder when null.</summary>
    public string? TrackerHost { get; init; }

    /// <summary>The tracker's port.</summary>
    public int TrackerPort { get; init; } = DefaultTrackerPort;

    /// <summary>The seeder's host; the first peer when null.</summary>
    public string? SeederHost { get; init; }

    /// <summary>Every server that receives releases.</summary>
    public IReadOnlyList<string> Peers { get; init; } = Array.Empty<string>();

    /// <summary>The tag used when a command gets none.</summary>
    public string? DefaultTag { get; init; }

    /// <summary>The directory on the seeder that is deployed (Murder's default_seeder_files_path).</summary>
    public string? DefaultSeederFilesPath { get; init; }

    /// <summary>Where releases go on every peer.</summary>
    public string? DefaultDestinationPath { get; init; }

    /// <summary>The directory on every host that holds the module (its Murder.psd1).</summary>
    public string RemoteMurderPath { get; init; } = "/usr/local/murder";

    /// <summary>The PowerShell 7 executable on every host.</summary>
    public string RemotePwshPath { get; init; } = "pwsh";

    /// <summary>
    /// The dotnet host on every host that runs Invoke-MurderPeer's agent directly over SSH, with no
    /// PowerShell start-up on the peer; hosts where it cannot start (no .NET 8+ runtime) use
    /// RemotePwshPath instead. Null: always PowerShell.
    /// </summary>
    public string? RemoteDotnetPath { get; init; } = "dotnet";

    /// <summary>Murder's temp directory on Linux hosts, and on every host unless TempPath says otherwise.</summary>
    public const string DefaultTempPath = "/tmp";

    private readonly string? _tempPath;

    /// <summary>
    /// Where torrents and artifacts go on the hosts (Murder's /tmp): every cmdlet there and here uses
    /// this one directory. <see cref="DefaultTempPath"/> when the configuration does not set it.
    /// </summary>
    public string TempPath { get => _tempPath ?? DefaultTempPath; init => _tempPath = value; }

    /// <summary>
    /// TempPath on this machine: the configured one, else /tmp on Linux and the system temp directory
    /// elsewhere (where /tmp is not the temp directory, or is not there at all).
    /// </summary>
    public string LocalTempPath() => _tempPath ?? (OperatingSystem.IsLinux() ? DefaultTempPath : System.IO.Path.GetTempPath());

    /// <summary>The SSH port of hosts that name none.</summary>
    public int SshPort { get; init; } = 22;

    /// <summary>The private key file; ~/.ssh/id_ed25519, id_ecdsa and id_rsa are tried when null.</summary>
    public string? SshKeyPath { get; init; }

    /// <summary>The OpenSSH known_hosts file host keys are checked against; ~/.ssh/known_hosts when null.</summary>
    public string? KnownHostsPath { get; init; }

    /// <summary>How long to wait for a host to answer.</summary>
    public int ConnectTimeoutSeconds { get; init; } = 15;

    /// <summary>How many hosts are worked on at once.</summary>
    public int ThrottleLimit { get; init; } = 32;

    /// <summary>The peers as hosts, suffix and default port applied, duplicates removed.</summary>
    public IReadOnlyList<FleetHost> PeerHosts() => Peers.Select(Host).Distinct().ToList();

    /// <summary>The seeder: SeederHost, else the first peer; null when neither is set.</summary>
    public FleetHost? Seeder() => SeederHost is not null ? Host(SeederHost) : Peers.Count > 0 ? Host(Peers[0]) : null;

    /// <summary>The tracker's host: TrackerHost, else the seeder.</summary>
    public FleetHost? Tracker() => TrackerHost is not null ? Host(TrackerHost) : Seeder();

    /// <summary>
    /// The host that runs the tracker of a torrent announcing to <paramref name="announceUrl"/>, to
    /// register it there over SSH: TrackerHost when set, else the announce URL's host. Null when
    /// that is loopback or localhost, which names the machine the torrent was made on; or when it
    /// is not a usable host name.
    /// </summary>
    public FleetHost? RegistrationHost(Uri announceUrl)
    {
        ArgumentNullException.ThrowIfNull(announceUrl);
        string host = TrackerHost ?? announceUrl.IdnHost;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (System.Net.IPAddress.TryParse(host, out System.Net.IPAddress? address) && System.Net.IPAddress.IsLoopback(address)))
        {
            return null;
        }

        return FleetHost.Check(host) is null ? Host(host) : null;
    }

    /// <summary>Tracker, seeder and peers, each once.</summary>
    public IReadOnlyList<FleetHost> AllHosts()
    {
        var hosts = new List<FleetHost>();
        foreach (FleetHost? host in new[] { Tracker(), Seeder() }.Concat(PeerHosts()))
        {
            if (host is not null && !hosts.Contains(host))
            {
                hosts.Add(host);
            }
        }

        return hosts;
    }

    /// <summary>A host entry with this fleet's suffix and SSH port applied.</summary>
    public FleetHost Host(string entry) => FleetHost.Parse(entry, HostSuffix, SshPort);

    /// <summary>
    /// Builds a configuration from a file's values (as Import-PowerShellDataFile returns them:
    /// strings, integers, booleans, arrays). Throws <see cref="MurderException"/> with ErrorId
    /// InvalidConfiguration naming the key and what is wrong.
    /// </summary>
    public static FleetConfiguration FromValues(IReadOnlyDictionary<string, object?> values, string source)
    {
        ArgumentNullException.ThrowIfNull(values);
        var config = new FleetConfiguration();
        foreach (KeyValuePair<string, object?> pair in values)
        {
            string? key = Keys.FirstOrDefault(k => k.Equals(pair.Key, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                throw Invalid(source, pair.Key, $"is not a Murder setting. Known keys: {string.Join(", ", Keys)}");
            }

            object? value = pair.Value;
            config = key switch
            {
                nameof(User) => config with { User = Text(source, key, value, UserProblem) },
                nameof(HostSuffix) => config with { HostSuffix = Text(source, key, value, SuffixProblem) ?? string.Empty },
                nameof(TrackerHost) => config with { TrackerHost = Text(source, key, value, FleetHost.Check) },
                nameof(TrackerPort) => config with { TrackerPort = Number(source, key, value, 1, 65535) },
                nameof(SeederHost) => config with { SeederHost = Text(source, key, value, FleetHost.Check) },
                nameof(Peers) => config with { Peers = HostList(source, key, value) },
                nameof(DefaultTag) => config with { DefaultTag = Text(source, key, value, DeployTag.Check) },
                nameof(DefaultSeederFilesPath) => config with { DefaultSeederFilesPath = Text(source, key, value, PathProblem) },
                nameof(DefaultDestinationPath) => config with { DefaultDestinationPath = Text(source, key, value, PathProblem) },
                nameof(RemoteMurderPath) => config with { RemoteMurderPath = Required(source, key, Text(source, key, value, PathProblem)) },
                nameof(RemotePwshPath) => config with { RemotePwshPath = Required(source, key, Text(source, key, value, RemoteCommandLine.CheckExecutable)) },
                nameof(RemoteDotnetPath) => config with { RemoteDotnetPath = Text(source, key, value, RemoteCommandLine.CheckExecutable) },
                nameof(TempPath) => config with { TempPath = Required(source, key, Text(source, key, value, PathProblem)) },
                nameof(SshPort) => config with { SshPort = Number(source, key, value, 1, 65535) },
                nameof(SshKeyPath) => config with { SshKeyPath = Text(source, key, value, PathProblem) },
                nameof(KnownHostsPath) => config with { KnownHostsPath = Text(source, key, value, PathProblem) },
                nameof(ConnectTimeoutSeconds) => config with { ConnectTimeoutSeconds = Number(source, key, value, 1, 600) },
                nameof(ThrottleLimit) => config with { ThrottleLimit = Number(source, key, value, 1, 1024) },
                _ => throw new InvalidOperationException(key),
            };
        }

        // Host entries are checked above; the suffix and port only now that both are known.
        foreach (string entry in config.Peers.Concat(new[] { config.SeederHost, config.TrackerHost }.OfType<string>()))
        {
            config.Host(entry);
        }

        return config;
    }

    private static MurderException Invalid(string source, string key, string problem) =>
        new("InvalidConfiguration", MurderErrorCategory.InvalidData, $"{source}: {key} {problem}.") { TargetObject = key };

    private static string? Text(string source, string key, object? value, Func<string, string?> check)
    {
        if (value is null)
        {
            return null;
        }

        if (value is not string text)
        {
            throw Invalid(source, key, $"must be a string in quotes, not {Describe(value)}");
        }

        string? problem = check(text);
        if (problem is not null)
        {
            throw Invalid(source, key, $"is not valid ('{text}'): {problem}");
        }

        return text;
    }

    private static string Required(string source, string key, string? value) =>
        value ?? throw Invalid(source, key, "must not be $null");

    private static int Number(string source, string key, object? value, int minimum, int maximum)
    {
        long number;
        switch (value)
        {
            case int or long or short or byte:
                number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                break;
            case string text when long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed):
                number = parsed;
                break;
            default:
                throw Invalid(source, key, $"must be a whole number from {minimum} to {maximum}, not {Describe(value)}");
        }

        if (number < minimum || number > maximum)
        {
            throw Invalid(source, key, $"must be from {minimum} to {maximum}, not {number}");
        }

        return (int)number;
    }

    private static List<string> HostList(string source, string key, object? value)
    {
        IEnumerable items = value switch
        {
            null => Array.Empty<string>(),
            string single => new[] { single },
            IEnumerable many => many,
            _ => throw Invalid(source, key, $"must be a host name or an array of them, not {Describe(value)}"),
        };
        var hosts = new List<string>();
        int index = 0;
        foreach (object? item in items)
        {
            if (item is not string entry)
            {
                throw Invalid(source, $"{key}[{index}]", $"must be a host name in quotes, not {Describe(item)}");
            }

            string? problem = FleetHost.Check(entry);
            if (problem is not null)
            {
                throw Invalid(source, $"{key}[{index}]", $"is not valid ('{entry}'): {problem}");
            }

            hosts.Add(entry.Trim());
            index++;
        }

        return hosts;
    }

    private static string? UserProblem(string user) =>
        user.Length == 0 || user.Length > 64 || user.StartsWith('-') || user.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '\\'))
            ? "a user name has 1 to 64 letters, digits, '.', '_', '-', '@' or '\\' and does not start with '-'"
            : null;

    private static string? SuffixProblem(string suffix) =>
        suffix.Length > 200 || suffix.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))
            ? "a host suffix has letters, digits, '.' and '-' only, such as '.example.com'"
            : null;

    private static string? PathProblem(string path) =>
        path.Length == 0 ? "it is empty" : path.Any(char.IsControl) ? "it contains a control character" : null;

    private static string Describe(object? value) => value switch
    {
        null => "$null",
        string text => $"the string '{text}'",
        bool flag => flag ? "$true" : "$false",
        IEnumerable => "an array",
        _ => $"a {value.GetType().Name} ({Convert.ToString(value, CultureInfo.InvariantCulture)})",
    };
}
