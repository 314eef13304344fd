using System;

namespace Murder.Sim;

/// <summary>Virtual time in nanoseconds, moved only by the event loop; every engine and the tracker read it.</summary>
internal sealed class VirtualClock : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Now, in nanoseconds since the simulation started.</summary>
    public long Now { get; set; }

    public override long TimestampFrequency => 1_000_000_000;

    public override long GetTimestamp() => Now;

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(Now / 100);
}
