namespace Murder.Core.Deployment;

/// <summary>A host's stage in a deploy, as it reports it to the tracker's deploy ledger.</summary>
public enum DeployStage
{
    /// <summary>The peer runs and checks its request.</summary>
    Starting,
    /// <summary>Re-checking pieces already on disk.</summary>
    Verifying,
    /// <summary>Downloading through the swarm.</summary>
    Downloading,
    /// <summary>The artifact is complete and verified; extracting it.</summary>
    Extracting,
    /// <summary>The release is in place and the peer lingers to upload.</summary>
    Seeding,
    /// <summary>The release is in place and the peer process has ended.</summary>
    Done,
    /// <summary>The host failed (an ErrorId and a message say why).</summary>
    Failed,
}
