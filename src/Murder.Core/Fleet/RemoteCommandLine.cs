using System;
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
        string? problem = CheckExecutable(pwshPath);
        if (problem is not null)
        {
            throw new MurderException("InvalidConfiguration", MurderErrorCategory.InvalidArgument, $"RemotePwshPath '{pwshPath}' is not valid: {problem}.") { TargetObject = pwshPath };
        }

        string executable = pwshPath.Contains(' ', StringComparison.Ordinal) ? "\"" + pwshPath + "\"" : pwshPath;
        return executable + " -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand " + Encode(script);
    }

    /// <summary>The -EncodedCommand form of a script.</summary>
    public static string Encode(string script) => Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
}
