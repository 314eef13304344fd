using System;
using Murder.Core.Swarm;
using Murder.Core.Swarm.Announcing;
using Xunit;

namespace Murder.Core.Tests.Swarm.Engine;

public class AnnounceSchedulerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    [Fact]
    public void Started_first_then_each_interval_then_completed_at_once()
    {
        var scheduler = new AnnounceScheduler(Interval, complete: false);
        Assert.Equal(SwarmAnnounceEvent.Started, scheduler.TakeDue(TimeSpan.Zero, complete: false));
        Assert.Null(scheduler.TakeDue(TimeSpan.Zero, complete: false)); // one in flight at a time
        scheduler.Succeeded(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), complete: false);
        Assert.Null(scheduler.TakeDue(TimeSpan.FromSeconds(10), complete: false));
        Assert.Equal(SwarmAnnounceEvent.None, scheduler.TakeDue(TimeSpan.FromSeconds(11), complete: false));
        scheduler.Succeeded(TimeSpan.FromSeconds(11), TimeSpan.FromSeconds(10), complete: false);
        Assert.Equal(SwarmAnnounceEvent.Completed, scheduler.TakeDue(TimeSpan.FromSeconds(12), complete: true));
        scheduler.Succeeded(TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(10), complete: true);
        Assert.True(scheduler.CompletionAnnounced);
        Assert.Equal(SwarmAnnounceEvent.None, scheduler.TakeDue(TimeSpan.FromSeconds(22), complete: true));
    }

    [Fact]
    public void A_failure_is_retried_with_a_growing_backoff_capped_at_the_interval()
    {
        var scheduler = new AnnounceScheduler(Interval, complete: true);
        TimeSpan now = TimeSpan.Zero;
        TimeSpan previous = TimeSpan.Zero;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            Assert.Equal(SwarmAnnounceEvent.Started, scheduler.TakeDue(now, complete: true));
            TimeSpan wait = scheduler.Failed(now);
            Assert.True(wait >= previous && wait <= Interval, $"attempt {attempt}: {wait}");
            Assert.Null(scheduler.TakeDue(now + wait - TimeSpan.FromMilliseconds(1), complete: true));
            previous = wait;
            now += wait;
        }

        Assert.Equal(Interval, previous);
    }

    [Fact]
    public void A_lost_peer_brings_the_next_announce_forward_at_most_once_a_second()
    {
        var scheduler = new AnnounceScheduler(Interval, complete: false);
        scheduler.TakeDue(TimeSpan.Zero, complete: false);
        scheduler.Succeeded(TimeSpan.Zero, Interval, complete: false);
        scheduler.Soon(TimeSpan.FromSeconds(2));
        Assert.Equal(SwarmAnnounceEvent.None, scheduler.TakeDue(TimeSpan.FromSeconds(2), complete: false));
        scheduler.Succeeded(TimeSpan.FromSeconds(2), Interval, complete: false);
        scheduler.Soon(TimeSpan.FromSeconds(2.5));
        Assert.Null(scheduler.TakeDue(TimeSpan.FromSeconds(2.5), complete: false));
    }
}
