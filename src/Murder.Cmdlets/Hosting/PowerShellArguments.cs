using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Murder.Cmdlets.Hosting;

/// <summary>
/// Writes a command invocation as PowerShell source safely: parameter names are checked, numbers
/// are formatted invariantly, and strings become single-quoted literals with every kind of single
/// quote PowerShell recognises doubled, so no value can end the literal.
/// </summary>
internal static class PowerShellArguments
{
    public static string Invocation(string command, IReadOnlyList<KeyValuePair<string, object?>> parameters)
    {
        RequireName(command, allowDash: true);
        var text = new StringBuilder(command);
        foreach (KeyValuePair<string, object?> parameter in parameters)
        {
            RequireName(parameter.Key, allowDash: false);
            switch (parameter.Value)
            {
                case null:
                case false:
                    break;
                case true:
                    text.Append(" -").Append(parameter.Key);
                    break;
                case int or long:
                    text.Append(" -").Append(parameter.Key).Append(' ').Append(Convert.ToString(parameter.Value, CultureInfo.InvariantCulture));
                    break;
                case string value:
                    text.Append(" -").Append(parameter.Key).Append(' ').Append(Quote(value));
                    break;
                default:
                    throw new ArgumentException($"Parameter {parameter.Key} has a value of type {parameter.Value.GetType().Name}, which cannot be passed on.", nameof(parameters));
            }
        }

        return text.ToString();
    }

    /// <summary>A single-quoted PowerShell string literal of <paramref name="value"/>.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2);
        text.Append('\'');
        foreach (char c in value)
        {
            // PowerShell treats ' and the typographic single quotes alike inside a literal.
            if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B')
            {
                text.Append(c);
            }

            text.Append(c);
        }

        return text.Append('\'').ToString();
    }

    private static void RequireName(string name, bool allowDash)
    {
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !(allowDash && c == '-'))
            {
                throw new ArgumentException($"'{name}' is not a plain command or parameter name.", nameof(name));
            }
        }
    }
}
