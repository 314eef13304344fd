using System;

namespace Murder.Core.Tracker.Ledger;

/// <summary>The wire names of stages and roles (the report query and the /deploy JSON), both ways.</summary>
internal static class LedgerNames
{
    /// <summary>How many stages there are; stage values run from 0 to StageCount - 1.</summary>
    public const int StageCount = 7;

    private static readonly string[] StageStrings = ["starting", "verifying", "downloading", "extracting", "seeding", "done", "failed"];

    /// <summary>The stage's wire name.</summary>
    public static string Of(LedgerStage stage) => StageStrings[(int)stage];

    /// <summary>The role's wire name.</summary>
    public static string Of(LedgerRole role) => role == LedgerRole.Seeder ? "seeder" : "peer";

    /// <summary>Whether a host in this stage has its result: seeding, done or failed.</summary>
    public static bool IsTerminal(LedgerStage stage) => stage is LedgerStage.Seeding or LedgerStage.Done or LedgerStage.Failed;

    /// <summary>Parses a wire name (exact, lower case).</summary>
    public static bool TryParseStage(ReadOnlySpan<byte> name, out LedgerStage stage)
    {
        for (int i = 0; i < StageStrings.Length; i++)
        {
            if (Equals(name, StageStrings[i]))
            {
                stage = (LedgerStage)i;
                return true;
            }
        }

        stage = default;
        return false;
    }

    /// <summary>Parses a role: peer or seeder.</summary>
    public static bool TryParseRole(ReadOnlySpan<byte> name, out LedgerRole role)
    {
        role = Equals(name, "seeder") ? LedgerRole.Seeder : LedgerRole.Peer;
        return role == LedgerRole.Seeder || Equals(name, "peer");
    }

    private static bool Equals(ReadOnlySpan<byte> ascii, string text)
    {
        if (ascii.Length != text.Length)
        {
            return false;
        }

        for (int i = 0; i < ascii.Length; i++)
        {
            if (ascii[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }
}
