using System;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Fleet;
using Xunit;

namespace Murder.Core.Tests.Fleet;

public class StartGateTests
{
    [Fact]
    public async Task Opens_when_every_host_of_the_wave_has_settled_each_counting_once()
    {
        var gate = new StartGate(TimeSpan.FromMinutes(5));
        gate.Expect(3);
        Task waiting = gate.WaitAsync(CancellationToken.None);
        gate.Settle("web1");
        gate.Settle("WEB1"); // the same host again
        gate.Settle("web2");
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        gate.Settle("web3"); // e.g. a host whose connection failed
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(gate.IsOpen);
    }

    [Fact]
    public async Task Opens_after_its_patience_when_a_host_never_settles()
    {
        var gate = new StartGate(TimeSpan.FromMilliseconds(300));
        gate.Expect(2);
        gate.Settle("web1");
        Task waiting = gate.WaitAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Hosts_settled_before_the_count_is_known_count_and_an_empty_wave_is_open()
    {
        var gate = new StartGate(TimeSpan.FromMinutes(5));
        gate.Settle("web1");
        gate.Expect(1);
        await gate.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        var empty = new StartGate(TimeSpan.FromMinutes(5));
        empty.Expect(0);
        Assert.True(empty.IsOpen);
    }

    [Fact]
    public async Task Waiting_stops_when_cancelled()
    {
        var gate = new StartGate(TimeSpan.FromMinutes(5));
        gate.Expect(2);
        using var cancel = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.WaitAsync(cancel.Token));
    }
}
