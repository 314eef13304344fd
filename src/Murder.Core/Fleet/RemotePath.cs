using System;

namespace Murder.Core.Fleet;

/// <summary>Paths on a remote host, whose separator this machine cannot know: a Windows-looking path keeps '\', others use '/'.</summary>
public static class RemotePath
{
    /// <summary>DIRECTORY joined with NAME in the directory's own style.</summary>
    public static string Combine(string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(directory);
        bool windows = directory.Contains('\\', StringComparison.Ordinal) || (directory.Length >= 2 && directory[1] == ':');
        char separator = windows ? '\\' : '/';
        return directory.TrimEnd('/', '\\') + separator + name;
    }
}
