using System;

namespace Murder.Core.Storage;

/// <summary>
/// Rules for names that come from untrusted input (torrent paths, archive entries) before they touch
/// a file system. A name must mean the same harmless thing on Linux and on Windows.
/// </summary>
public static class SafePath
{
    private static readonly string[] WindowsReservedNames =
    {
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>
    /// Checks one path component (a single file or directory name). Returns null when it is safe,
    /// or the reason it is not.
    /// </summary>
    public static string? CheckComponent(string component)
    {
        if (component.Length == 0)
        {
            return "it is empty";
        }

        if (component is "." or "..")
        {
            return $"'{component}' refers to a directory outside the name";
        }

        foreach (char character in component)
        {
            if (character == '\0')
            {
                return "it contains a NUL character";
            }

            if (character is '/' or '\\')
            {
                return "it contains a path separator";
            }

            if (character < ' ')
            {
                return "it contains a control character";
            }
        }

        if (component.Length >= 2 && component[1] == ':' && char.IsAsciiLetter(component[0]))
        {
            return "it is rooted at a drive";
        }

        if (component.Contains(':', StringComparison.Ordinal))
        {
            return "it contains ':', which Windows treats as a drive or stream separator";
        }

        if (component.Length > 255)
        {
            return "it is longer than 255 characters";
        }

        if (component.EndsWith(' ') || component.EndsWith('.'))
        {
            return "it ends with a space or a dot, which Windows strips";
        }

        string stem = component.Split('.')[0];
        foreach (string reserved in WindowsReservedNames)
        {
            if (stem.Equals(reserved, StringComparison.OrdinalIgnoreCase))
            {
                return $"'{component}' is a reserved device name on Windows";
            }
        }

        return null;
    }
}
