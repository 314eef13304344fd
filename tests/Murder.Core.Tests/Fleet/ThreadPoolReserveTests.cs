using System.Threading;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

/// <summary>The pool's minimum is process-wide: these run alone so no other test sees it raised.</summary>
[Collection(RunsAlone.Name)]
public sealed class ThreadPoolReserveTests
{
    [Fact]
    public void A_reserve_raises_the_pools_minimum_while_it_lasts_and_the_last_one_puts_it_back()
    {
        ThreadPool.GetMinThreads(out int workers, out int ports);
        using (ThreadPoolReserve first = ThreadPoolReserve.Raise(32))
        {
            Assert.Equal(workers + 32, MinWorkers());
            using (ThreadPoolReserve second = ThreadPoolReserve.Raise(8))
            {
                Assert.Equal(workers + 32, MinWorkers()); // never lowered by a smaller one
            }

            Assert.Equal(workers + 32, MinWorkers()); // the first still runs
            first.Dispose();
            first.Dispose(); // twice is once
            Assert.Equal(workers, MinWorkers());
        }

        ThreadPool.GetMinThreads(out _, out int portsAfter);
        Assert.Equal(ports, portsAfter);
        using (ThreadPoolReserve.Raise(100_000))
        {
            Assert.Equal(workers + 1024, MinWorkers()); // bounded whatever ThrottleLimit says
        }
    }

    private static int MinWorkers()
    {
        ThreadPool.GetMinThreads(out int workers, out _);
        return workers;
    }
}
