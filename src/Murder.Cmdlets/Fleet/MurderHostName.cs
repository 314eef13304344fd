namespace Murder.Cmdlets.Fleet;

/// <summary>
/// A host name given to -ComputerName. A type of its own, built from a string, so that pipeline
/// input binds to -ComputerName only when it is a string (Get-Content hosts.txt) or has a
/// ComputerName property, never by turning any other object into text.
/// </summary>
public sealed class MurderHostName
{
    /// <summary>Wraps a host entry: NAME, NAME:PORT or [IPv6]:PORT.</summary>
    public MurderHostName(string name) => Name = name ?? string.Empty;

    /// <summary>The entry as given.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
