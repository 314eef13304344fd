namespace Murder.Core.Deployment;

/// <summary>Why a lingering peer or seeder stopped on its own.</summary>
public enum LingerStop
{
    /// <summary>The deploy ledger shows every expected host seeding, done or failed.</summary>
    AllHostsDone,

    /// <summary>The safety bound (the maximum linger) was reached first.</summary>
    MaximumReached,
}
