namespace Murder.Core.Deployment;

/// <summary>What a host tells the tracker's deploy ledger about itself (one report).</summary>
public sealed record DeployReport
{
    /// <summary>The stage.</summary>
    public required DeployStage Stage { get; init; }

    /// <summary>Bytes of the artifact verified so far.</summary>
    public long Downloaded { get; init; }

    /// <summary>Bytes still missing.</summary>
    public long Left { get; init; }

    /// <summary>The current download rate, bytes per second.</summary>
    public long Rate { get; init; }

    /// <summary>Why it failed (PascalCase, 1 to 64 letters and digits); only with <see cref="DeployStage.Failed"/>.</summary>
    public string? ErrorId { get; init; }

    /// <summary>The failure's message (at most 1024 UTF-8 bytes are sent).</summary>
    public string? Message { get; init; }
}
