using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Murder.Core.Fleet;

/// <summary>
/// The one line an SSH server's shell runs for Murder: the configured PowerShell with fixed options
/// and the script as -EncodedCommand (Base64 of UTF-16LE). The only configurable part, the
/// executable's path, is restricted to characters no POSIX shell or cmd.exe treats specially, so
/// nothing a user writes is ever interpreted by the remote shell.
/// </summary>
public static class RemoteCommandLine
{
    /// <summary>Returns null when <paramref name="path"/> is an acceptable RemotePwshPath, or what is wrong.</summary>
    public static string? CheckExecutable(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "it is empty";
        }

        if (path.StartsWith('-'))
        {
            return "it starts with '-'";
        }

        char bad = path.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '/' or '\\' or ':' or '.' or '_' or '-' or ' ' or '+' or '(' or ')'));
        return bad == default ? null : $"it contains '{bad}'; use letters, digits, spaces and / \\ : . _ - + ( ) only";
    }

    /// <summary>
    /// PWSH -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand BASE64, the path in double
    /// quotes when it has spaces (read alike by sh and cmd.exe, as no other special character is allowed).
    /// </summary>
    public static string Build(string pwshPath, string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        string executable = Executable(pwshPath, "RemotePwshPath");
        return executable + " -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand " + Encode(script);
    }

    /// <summary>
    /// The module's agent run directly, Invoke-MurderPeer -Remote BASE64, its arguments
    /// (<see cref="EncodeAgentArguments"/>) in Base64, so again nothing but the checked paths
    /// reaches the remote shell. <paramref name="agentPath"/> is RemoteMurderPath/bin/Murder.Agent.dll.
    /// </summary>
    public static string BuildAgent(string dotnetPath, string agentPath, IEnumerable<KeyValuePair<string, object?>> arguments)
    {
        return AgentLauncher(dotnetPath, agentPath, AgentRemoteCommand + " " + AgentRemoteParameter + " " + EncodeAgentArguments(arguments));
    }

    /// <summary>
    /// The part of the agent's line that names the program. A Windows host (a Windows-style
    /// RemoteMurderPath; its shell is cmd.exe or PowerShell) gets `DOTNET AGENT ARGUMENTS`, as
    /// always. Any other host gets a POSIX sh script (in single quotes, so any login shell passes it
    /// on unchanged) that runs the native agent beside the dll, bin/linux-x64/murder-agent, where
    /// `uname -sm` says Linux x86_64 and that file is executable, and `DOTNET AGENT` otherwise, or
    /// when the loader refuses the native one (exit 127: glibc older than 2.34), with the same ARGUMENTS; the paths are double-quoted there (no allowed character is special inside
    /// double quotes). Where neither starts, the agent never answers and the caller falls back to PowerShell.
    /// </summary>
    private static string AgentLauncher(string dotnetPath, string agentPath, string arguments)
    {
        string dotnet = Executable(dotnetPath, "RemoteDotnetPath");
        string agent = Executable(agentPath, "RemoteMurderPath");
        if (RemotePath.IsWindows(agentPath))
        {
            return dotnet + " " + agent + " " + arguments;
        }

        string native = "\"" + agentPath[..(agentPath.LastIndexOf('/') + 1)] + NativeAgentRelativePath + "\"";
        string script = "if [ \"$(uname -sm)\" = \"Linux x86_64\" ] && [ -x " + native + " ]; then " + native + " \"$@\"; s=$?; [ $s -eq 127 ] || exit $s; fi; " +
            "exec \"" + dotnetPath + "\" \"" + agentPath + "\" \"$@\"";
        return "sh -c '" + script + "' murder-agent " + arguments;
    }

    /// <summary>The native agent for Linux x64, relative to the module's bin folder.</summary>
    public const string NativeAgentRelativePath = "linux-x64/murder-agent";

    /// <summary>The agent's command and parameter for a peer run over SSH.</summary>
    public const string AgentRemoteCommand = "Invoke-MurderPeer";

    /// <summary>The parameter that carries the encoded arguments.</summary>
    public const string AgentRemoteParameter = "-Remote";

    /// <summary>
    /// Base64 of "-Name NUL value NUL ..." in UTF-8: NUL cannot occur in a path or a tag, and Base64
    /// holds no character any shell treats specially. Switches and booleans become True/False.
    /// </summary>
    public static string EncodeAgentArguments(IEnumerable<KeyValuePair<string, object?>> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var parts = new List<string>();
        foreach (KeyValuePair<string, object?> argument in arguments)
        {
            if (argument.Value is null)
            {
                continue;
            }

            string value = Convert.ToString(argument.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            if (argument.Key.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new MurderException("InvalidArgument", MurderErrorCategory.InvalidArgument, $"The value of -{argument.Key} contains a NUL character.");
            }

            parts.Add("-" + argument.Key);
            parts.Add(value);
        }

        return Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\0', parts)));
    }

    /// <summary>The "-Name value ..." arguments encoded by <see cref="EncodeAgentArguments"/>.</summary>
    public static string[] DecodeAgentArguments(string encoded)
    {
        try
        {
            string text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            return text.Length == 0 ? Array.Empty<string>() : text.Split('\0');
        }
        catch (FormatException error)
        {
            throw new MurderException("AgentUsage", MurderErrorCategory.InvalidArgument, "The agent's -Remote arguments are not valid Base64.", error);
        }
    }

    private static string Executable(string path, string key)
    {
        string? problem = CheckExecutable(path);
        if (problem is not null)
        {
            throw new MurderException("InvalidConfiguration", MurderErrorCategory.InvalidArgument, $"{key} '{path}' is not valid: {problem}.") { TargetObject = path };
        }

        return path.Contains(' ', StringComparison.Ordinal) ? "\"" + path + "\"" : path;
    }

    /// <summary>The -EncodedCommand form of a script.</summary>
    public static string Encode(string script) => Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
}
