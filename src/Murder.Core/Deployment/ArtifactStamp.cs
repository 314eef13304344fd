using System;
using System.Globalization;
using System.IO;

namespace Murder.Core.Deployment;

/// <summary>
/// An artifact's length and last write time, taken right after a peer verified and wrote every
/// piece. The lingering seeder it hands over to skips re-reading and re-hashing the artifact when
/// the file still has this stamp; any change to the file (or a stamp that does not parse) means
/// the full check.
/// </summary>
public sealed record ArtifactStamp(long Length, long LastWriteTicksUtc)
{
    /// <summary>The stamp of a file now.</summary>
    public static ArtifactStamp Of(string path)
    {
        var file = new FileInfo(path);
        return new ArtifactStamp(file.Length, file.LastWriteTimeUtc.Ticks);
    }

    /// <summary>Reads <see cref="ToString"/>'s form back; null when it does not parse.</summary>
    public static ArtifactStamp? Parse(string text)
    {
        string[] parts = text.Split(':');
        return parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long length)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
            ? new ArtifactStamp(length, ticks)
            : null;
    }

    /// <summary>Whether the file at <paramref name="path"/> still has this stamp.</summary>
    public bool Matches(string path)
    {
        try
        {
            return Of(path) == this;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>LENGTH:TICKS.</summary>
    public override string ToString() =>
        Length.ToString(CultureInfo.InvariantCulture) + ":" + LastWriteTicksUtc.ToString(CultureInfo.InvariantCulture);
}
