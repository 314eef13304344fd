using System;

namespace Murder.Sim;

/// <summary>What a simulated deploy measured. Completion times are per peer, from its own launch.</summary>
public sealed record SimulationResult
{
    /// <summary>The options of the run.</summary>
    public required SimulationOptions Options { get; init; }

    /// <summary>The piece length used.</summary>
    public required int PieceLength { get; init; }

    /// <summary>The fluid bound for the fast peers: max(F/u_seed, F/d, N*F/(u_seed + sum of peer uploads)).</summary>
    public required TimeSpan FluidBound { get; init; }

    /// <summary>Fast peers that finished.</summary>
    public required int Finished { get; init; }

    /// <summary>Fast peers alive at the end.</summary>
    public required int Alive { get; init; }

    /// <summary>Slow peers that finished.</summary>
    public required int SlowFinished { get; init; }

    /// <summary>Slow peers alive at the end.</summary>
    public required int SlowAlive { get; init; }

    /// <summary>Peers (and the seeder) that died.</summary>
    public required int Died { get; init; }

    /// <summary>Median completion time of the fast peers over T_min.</summary>
    public required double P50 { get; init; }

    /// <summary>90th percentile of completion over T_min.</summary>
    public required double P90 { get; init; }

    /// <summary>99th percentile of completion over T_min.</summary>
    public required double P99 { get; init; }

    /// <summary>The last fast peer's completion over T_min.</summary>
    public required double Last { get; init; }

    /// <summary>The last completion of any live peer from the start of the run (the seeder's launch), in seconds.</summary>
    public required double LastFromStartSeconds { get; init; }

    /// <summary>The slow peers' last completion over T_min (0 without slow peers).</summary>
    public required double SlowLast { get; init; }

    /// <summary>Bytes the seeder uploaded over F.</summary>
    public required double SeederUpload { get; init; }

    /// <summary>Block bytes the surviving peers received over their count times F.</summary>
    public required double Received { get; init; }

    /// <summary>Announces the tracker answered.</summary>
    public required long Announces { get; init; }

    /// <summary>Announces per second of virtual time, at the tracker.</summary>
    public required double AnnouncesPerSecond { get; init; }

    /// <summary>Virtual time when the run ended.</summary>
    public required TimeSpan VirtualTime { get; init; }

    /// <summary>Events processed.</summary>
    public required long Events { get; init; }

    /// <summary>How long the simulation itself took.</summary>
    public required TimeSpan WallTime { get; init; }

    /// <summary>The simulation process's peak working set.</summary>
    public required long PeakMemoryBytes { get; init; }

    /// <summary>A digest of every peer's completion time: equal for equal seeds and options.</summary>
    public required string Digest { get; init; }
}
