namespace Murder.Core.Tracker.Metrics;

/// <summary>What a request asked for, as the request-latency histogram labels it.</summary>
internal enum RequestRoute
{
    /// <summary>/announce.</summary>
    Announce,

    /// <summary>/scrape.</summary>
    Scrape,

    /// <summary>/report (a peer's deploy-ledger report).</summary>
    Report,

    /// <summary>/deploy (the ledger read).</summary>
    Deploy,

    /// <summary>The live page and its swarm list.</summary>
    Page,

    /// <summary>/metrics.</summary>
    Metrics,

    /// <summary>Anything else (answered 404).</summary>
    Other,
}
