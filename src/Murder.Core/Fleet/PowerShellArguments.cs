using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Murder.Core.Fleet;

/// <summary>
/// Writes a command invocation as PowerShell source safely: parameter names are checked, numbers
/// are formatted invariantly, and strings become single-quoted literals with every kind of single
/// quote PowerShell recognises doubled, so no value can end the literal. Used for background
/// processes and for the commands run on remote hosts.
/// </summary>
public static class PowerShellArguments
{
    /// <summary>
    /// <paramref name="command"/> followed by its parameters: true switches are named, false and null
    /// values left out, numbers invariant, strings and enum values quoted, arrays as @(...).
    /// </summary>
    public static string Invocation(string command, IReadOnlyList<KeyValuePair<string, object?>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
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
                default:
                    text.Append(" -").Append(parameter.Key).Append(' ').Append(Literal(parameter.Key, parameter.Value));
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>A PowerShell literal of a string, number, enum value or array of them.</summary>
    public static string Literal(string name, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value)
        {
            case int or long or short or byte or uint or ulong or ushort:
                return Convert.ToString(value, CultureInfo.InvariantCulture)!;
            case double number:
                return number.ToString("R", CultureInfo.InvariantCulture);
            case string text:
                return Quote(text);
            case Enum member:
                return Quote(member.ToString());
            case IEnumerable items:
                var list = new StringBuilder("@(");
                bool first = true;
                foreach (object? item in items)
                {
                    if (item is null or IEnumerable and not string)
                    {
                        throw new ArgumentException($"Parameter {name} holds a value that cannot be passed on.", nameof(value));
                    }

                    list.Append(first ? string.Empty : ",").Append(Literal(name, item));
                    first = false;
                }

                return list.Append(')').ToString();
            default:
                throw new ArgumentException($"Parameter {name} has a value of type {value.GetType().Name}, which cannot be passed on.", nameof(value));
        }
    }

    /// <summary>A single-quoted PowerShell string literal of <paramref name="value"/>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
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
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("A command or parameter name is empty.", nameof(name));
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !(allowDash && c == '-'))
            {
                throw new ArgumentException($"'{name}' is not a plain command or parameter name.", nameof(name));
            }
        }
    }
}
