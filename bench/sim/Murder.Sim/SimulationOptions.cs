using System;

namespace Murder.Sim;

/// <summary>One simulated deploy: the swarm, the network and the faults.</summary>
public sealed record SimulationOptions
{
    /// <summary>Downloading peers (the seeder comes on top).</summary>
    public int Peers { get; init; } = 100;

    /// <summary>The artifact's size in bytes.</summary>
    public long Size { get; init; } = 1L << 30;

    /// <summary>The piece length; 0 chooses it as New-MurderTorrent does.</summary>
    public int PieceLength { get; init; }

    /// <summary>The request (block) size between peers; 16 KiB on the wire today.</summary>
    public int BlockLength { get; init; } = 16 * 1024;

    /// <summary>Each host's upload and download capacity, bits per second.</summary>
    public double RateBitsPerSecond { get; init; } = 10e9;

    /// <summary>
    /// The share of a link's rate that carries payload: at MTU 1500 a TCP segment (timestamps on)
    /// carries 1,448 bytes in a 1,514-byte Ethernet frame, and rate limits (tc, switch ports) count
    /// frames. T_min stays F/C on the line rate, as the namespace benchmark reports it.
    /// </summary>
    public double WireEfficiency { get; init; } = 1448.0 / 1514.0;

    /// <summary>
    /// True: a host's connections share its upload a block each in turn (TCP flows, one socket per
    /// connection); false (the default): one queue in the order blocks were requested. At N=16, 10
    /// Mbit/s the FIFO model is the one within 15% of the namespace benchmark (1.20 against 1.34;
    /// the fair one gives 1.13), so it stays the default.
    /// </summary>
    public bool FairUplink { get; init; }

    /// <summary>The origin super-seeds (the engine's default); false: a plain seed, for comparison.</summary>
    public bool SuperSeed { get; init; } = true;

    /// <summary>One-way latency between any two hosts (and to the tracker).</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(0.2);

    /// <summary>The share of peers (0-1) that are slow.</summary>
    public double SlowShare { get; init; }

    /// <summary>How much slower a slow peer is (both directions).</summary>
    public double SlowFactor { get; init; } = 10;

    /// <summary>The share of peers (0-1) that die mid-transfer.</summary>
    public double DieShare { get; init; }

    /// <summary>Whether the seeder dies as soon as the peers together hold a full copy.</summary>
    public bool SeederDies { get; init; }

    /// <summary>Peers start uniformly over this span (the seeder at zero).</summary>
    public TimeSpan LaunchSpread { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Piece hashing speed, bytes per second (SHA-1 with SHA-NI measured about 2 GB/s).</summary>
    public double HashBytesPerSecond { get; init; } = 2e9;

    /// <summary>The random seed: the same seed and options give the same run.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Virtual time after which the run stops even if peers are unfinished.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Throws when a value is out of range.</summary>
    public SimulationOptions Validate()
    {
        Check(Peers is >= 1 and <= 60_000, nameof(Peers), "1 to 60000");
        Check(Size > 0, nameof(Size), "positive");
        Check(BlockLength is >= 1024 and <= 4 * 1024 * 1024, nameof(BlockLength), "1 KiB to 4 MiB");
        Check(RateBitsPerSecond > 0, nameof(RateBitsPerSecond), "positive");
        Check(SlowShare is >= 0 and <= 1, nameof(SlowShare), "0 to 1");
        Check(DieShare is >= 0 and < 1, nameof(DieShare), "0 to less than 1");
        Check(SlowFactor >= 1, nameof(SlowFactor), "at least 1");
        Check(WireEfficiency is > 0 and <= 1, nameof(WireEfficiency), "more than 0 and at most 1");
        return this;
    }

    private static void Check(bool valid, string name, string range)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be {range}.");
        }
    }
}
