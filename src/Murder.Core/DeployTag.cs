using System;
using Murder.Core.Storage;

namespace Murder.Core;

/// <summary>
/// A deploy tag names a release everywhere: TAG.tgz, TAG.tgz.torrent, DESTINATION/TAG. It becomes a
/// file name on every host, so only letters, digits, '.', '_' and '-' are allowed.
/// </summary>
public static class DeployTag
{
    /// <summary>The longest tag accepted, so TAG.tgz.torrent fits a 255-byte file name with room to spare.</summary>
    public const int MaxLength = 200;

    /// <summary>The artifact's file name: TAG.tgz.</summary>
    public static string ArtifactFileName(string tag) => tag + ".tgz";

    /// <summary>The torrent's file name: TAG.tgz.torrent.</summary>
    public static string TorrentFileName(string tag) => tag + ".tgz.torrent";

    /// <summary>Returns null when the tag is valid, or what is wrong with it.</summary>
    public static string? Check(string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return "it is empty";
        }

        if (tag.Length > MaxLength)
        {
            return $"it is {tag.Length} characters long; the limit is {MaxLength}";
        }

        foreach (char character in tag)
        {
            if (!(char.IsAsciiLetterOrDigit(character) || character is '.' or '_' or '-'))
            {
                return character is '/' or '\\'
                    ? "it contains a path separator"
                    : $"it contains '{(char.IsControl(character) ? "\\u" + ((int)character).ToString("X4", System.Globalization.CultureInfo.InvariantCulture) : character.ToString())}'; only letters, digits, '.', '_' and '-' are allowed";
            }
        }

        if (tag.StartsWith('-'))
        {
            return "it starts with '-', which command-line tools read as an option";
        }

        return SafePath.CheckComponent(tag);
    }

    /// <summary>Throws <see cref="MurderException"/> (ErrorId InvalidTag) for an invalid tag.</summary>
    public static string Validate(string? tag)
    {
        string? problem = Check(tag);
        if (problem is not null)
        {
            throw new MurderException(
                "InvalidTag",
                MurderErrorCategory.InvalidArgument,
                $"The tag '{tag}' is not valid: {problem}. Use letters, digits, '.', '_' and '-', for example Deploy20260101.")
            {
                TargetObject = tag,
            };
        }

        return tag!;
    }
}
