using System;

namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// A parsed, validated report (see the deploy ledger contract in the README). The host, error id
/// and message are slices of the caller's scratch buffer: nothing is allocated to parse a report.
/// </summary>
internal ref struct ReportRequest
{
    public Hash20 InfoHash;
    public LedgerStage Stage;
    public LedgerRole Role;
    public long Downloaded;
    public long Left;
    public long Rate;

    /// <summary>The host's name (UTF-8, 1 to 255 bytes); empty when the report named none.</summary>
    public ReadOnlySpan<byte> Host;

    /// <summary>A PascalCase error id for a failure; empty when none.</summary>
    public ReadOnlySpan<byte> ErrorId;

    /// <summary>A UTF-8 message for a failure; empty when none.</summary>
    public ReadOnlySpan<byte> Message;

    /// <summary>The murder_key= parameter, exactly as announces carry it.</summary>
    public SwarmKeyValue SwarmKey;
}
