namespace Murder.Core.Deployment;

/// <summary>Where a peer run is.</summary>
public enum PeerRunStage
{
    /// <summary>Checking what is already downloaded.</summary>
    Checking,
    /// <summary>Downloading through the swarm.</summary>
    Downloading,
    /// <summary>Handing the artifact over to a lingering seeder.</summary>
    HandingOver,
    /// <summary>Extracting into a staging directory and moving it into place.</summary>
    Extracting,
    /// <summary>Done.</summary>
    Done,
}
