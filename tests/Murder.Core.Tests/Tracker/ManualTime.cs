using System;

namespace Murder.Core.Tests.Tracker;

/// <summary>A clock the test moves by hand: timestamps and the UTC time move together.</summary>
internal sealed class ManualTime : TimeProvider
{
    private const long StartTicks = 1_000_000;

    /// <summary>What <see cref="GetUtcNow"/> says before the first <see cref="Advance"/>.</summary>
    public static readonly DateTimeOffset Start = new(2026, 12, 3, 15, 0, 0, TimeSpan.Zero);

    private long _ticks = StartTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public override DateTimeOffset GetUtcNow() => Start + TimeSpan.FromTicks(_ticks - StartTicks);

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}
