namespace Murder.Core.Packaging;

/// <summary>What a packed entry is.</summary>
public enum SourceEntryKind
{
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A regular file.</summary>
    File,
    /// <summary>A symbolic link that stays inside the packed tree.</summary>
    SymbolicLink,
}
