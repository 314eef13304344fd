using System;

namespace Murder.Core.Deployment;

/// <summary>The ledger's names for <see cref="DeployStage"/> and what each means for a result.</summary>
public static class DeployStages
{
    /// <summary>Every stage, in the ledger's order.</summary>
    public static readonly DeployStage[] All = Enum.GetValues<DeployStage>();

    /// <summary>The wire name: starting, verifying, downloading, extracting, seeding, done, failed.</summary>
    public static string ToWire(DeployStage stage) => stage switch
    {
        DeployStage.Starting => "starting",
        DeployStage.Verifying => "verifying",
        DeployStage.Downloading => "downloading",
        DeployStage.Extracting => "extracting",
        DeployStage.Seeding => "seeding",
        DeployStage.Done => "done",
        DeployStage.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    /// <summary>Reads a wire name; false for anything else.</summary>
    public static bool TryParse(string? text, out DeployStage stage)
    {
        foreach (DeployStage candidate in All)
        {
            if (string.Equals(ToWire(candidate), text, StringComparison.Ordinal))
            {
                stage = candidate;
                return true;
            }
        }

        stage = DeployStage.Starting;
        return false;
    }

    /// <summary>Whether a host at this stage has its result: seeding, done or failed.</summary>
    public static bool IsTerminal(DeployStage stage) => stage is DeployStage.Seeding or DeployStage.Done or DeployStage.Failed;

    /// <summary>Whether a host at this stage has the release in place: seeding or done.</summary>
    public static bool IsSuccess(DeployStage stage) => stage is DeployStage.Seeding or DeployStage.Done;
}
