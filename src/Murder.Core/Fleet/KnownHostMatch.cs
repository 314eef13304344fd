namespace Murder.Core.Fleet;

/// <summary>What a known_hosts file says about a host's key.</summary>
public enum KnownHostMatch
{
    /// <summary>The file lists this key for the host.</summary>
    Trusted,
    /// <summary>The file lists the host with other keys only: possibly an impostor.</summary>
    Mismatch,
    /// <summary>The file does not list the host.</summary>
    Unknown,
    /// <summary>The key is marked @revoked.</summary>
    Revoked,
}
