using System;

namespace Murder.Core.Fleet;

/// <summary>Paths on a remote host, whose separator this machine cannot know: a Windows-looking path keeps '\', others use '/'.</summary>
public static class RemotePath
{
    /// <summary>DIRECTORY joined with NAME in the directory's own style.</summary>
    public static string Combine(string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(directory);
        char separator = IsWindows(directory) ? '\\' : '/';
        return directory.TrimEnd('/', '\\') + separator + name;
    }

    /// <summary>Whether <paramref name="path"/> looks like a Windows path (a '\\', or a drive letter).</summary>
    public static bool IsWindows(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Contains('\\', StringComparison.Ordinal) || (path.Length >= 2 && path[1] == ':');
    }
}
