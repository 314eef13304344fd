using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Murder.Core;
using Murder.Core.Storage;

namespace Murder.Fuzz.Targets;

/// <summary>
/// Name sanitizing: SafePath.CheckComponent, DeployTag.Check/Validate and the tar entry name
/// splitter. The input is read both as UTF-8 and as raw UTF-16 (lone surrogates included). None of
/// them throws except as documented (Validate: MurderException InvalidTag; the splitter:
/// MurderException UnsafeArchiveEntry), and whatever they accept stays one level below a root
/// directory on both Linux and Windows rules.
/// </summary>
internal static class SafePathTarget
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "murder-fuzz-root");

    public static void Run(byte[] data)
    {
        Check(Encoding.UTF8.GetString(data));
        Check(new string(MemoryMarshal.Cast<byte, char>(data.AsSpan(0, data.Length & ~1))));
    }

    private static void Check(string text)
    {
        CheckComponent(text);
        CheckTag(text);
        CheckEntryName(text);
    }

    private static void CheckComponent(string component)
    {
        if (SafePath.CheckComponent(component) is not null)
        {
            return;
        }

        Require(component.Length is > 0 and <= 255 && component is not "." and not "..", $"'{component}' has an unsafe length or is a dot name");
        foreach (char character in component)
        {
            Require(character >= ' ' && character is not '/' and not '\\' and not ':', $"'{Printable(component)}' has a separator, control or ':' character");
        }

        Require(!component.EndsWith(' ') && !component.EndsWith('.'), $"'{component}' ends with a space or a dot");
        Require(Path.GetFileName(component) == component && !Path.IsPathRooted(component), $"'{component}' is not a plain file name");
        string full = Path.GetFullPath(Path.Combine(Root, component));
        Require(Path.GetDirectoryName(full) == Root, $"'{component}' leaves the directory it is put in (as '{full}')");
    }

    private static void CheckTag(string tag)
    {
        string? problem = DeployTag.Check(tag);
        try
        {
            Require(DeployTag.Validate(tag) == tag, "Validate changed the tag");
            Require(problem is null, $"Validate accepted '{Printable(tag)}', which Check refused: {problem}");
        }
        catch (MurderException error)
        {
            Require(problem is not null && error.ErrorId == "InvalidTag", $"Validate refused '{Printable(tag)}' as {error.ErrorId}, Check said {problem ?? "nothing"}");
            return;
        }

        foreach (char character in tag)
        {
            Require(char.IsAsciiLetterOrDigit(character) || character is '.' or '_' or '-', $"the tag '{tag}' has '{character}'");
        }

        Require(tag.Length <= DeployTag.MaxLength && !tag.StartsWith('-'), $"the tag '{tag}' is too long or starts with '-'");
        Require(SafePath.CheckComponent(DeployTag.ArtifactFileName(tag)) is null, $"the artifact name for '{tag}' is unsafe");
        Require(SafePath.CheckComponent(DeployTag.TorrentFileName(tag)) is null, $"the torrent name for '{tag}' is unsafe");
    }

    private static void CheckEntryName(string name)
    {
        string[] parts;
        try
        {
            parts = StagingExtraction.SplitName(name, name);
        }
        catch (MurderException error)
        {
            Require(error.ErrorId == "UnsafeArchiveEntry", $"an entry name was refused as {error.ErrorId}");
            return;
        }

        string path = Root;
        foreach (string part in parts)
        {
            Require(SafePath.CheckComponent(part) is null, $"the entry name '{Printable(name)}' split into the unsafe component '{Printable(part)}'");
            path = Path.Combine(path, part);
        }

        string full = Path.GetFullPath(path);
        Require(full == Root || full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal), $"the entry name '{Printable(name)}' lands at '{full}'");
    }

    private static void Require(bool condition, string what) => FuzzInvariantException.Check(condition, what);

    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char character in text)
        {
            builder.Append(char.IsControl(character) || char.IsSurrogate(character) ? $"\\u{(int)character:X4}" : character.ToString());
        }

        return builder.ToString();
    }
}
