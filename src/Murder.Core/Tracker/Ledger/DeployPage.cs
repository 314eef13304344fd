using System.Collections.Generic;

namespace Murder.Core.Tracker.Ledger;

/// <summary>A page of one deploy's ledger: entries after a version, in version order.</summary>
internal sealed record DeployPage(DeploySummary Deploy, IReadOnlyList<LedgerEntrySnapshot> Entries, long Next, bool More);
