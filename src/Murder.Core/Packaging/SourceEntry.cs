namespace Murder.Core.Packaging;

/// <summary>One entry of a directory to pack.</summary>
/// <param name="FullPath">Where it is on disk.</param>
/// <param name="EntryName">Its name in the archive: relative, '/'-separated.</param>
/// <param name="Kind">Directory, file or symbolic link.</param>
/// <param name="Length">The file's length (0 for others).</param>
/// <param name="LinkTarget">A symbolic link's target, as stored.</param>
public sealed record SourceEntry(string FullPath, string EntryName, SourceEntryKind Kind, long Length, string? LinkTarget);
