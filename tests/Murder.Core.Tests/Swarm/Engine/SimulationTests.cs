using System;
using Murder.Sim;
using Xunit;

namespace Murder.Core.Tests.Swarm.Engine;

/// <summary>The simulator (bench/sim) on a small swarm: the same engine, virtual time, a fixed seed.</summary>
public class SimulationTests
{
    [Fact]
    public void A_small_simulation_is_deterministic_for_a_seed_and_every_live_peer_finishes()
    {
        var options = new SimulationOptions
        {
            Peers = 12,
            Size = 4L * 1024 * 1024,
            RateBitsPerSecond = 1e9,
            LaunchSpread = TimeSpan.FromSeconds(1),
            SlowShare = 0.1,
            DieShare = 0.1,
            SeederDies = true,
            Seed = 42,
        };

        SimulationResult first = new Simulation(options).Run();
        SimulationResult again = new Simulation(options).Run();
        SimulationResult other = new Simulation(options with { Seed = 43 }).Run();

        Assert.Equal(first.Alive, first.Finished);
        Assert.Equal(first.SlowAlive, first.SlowFinished);
        Assert.Equal(1 + 1, first.Died); // one peer and the seeder
        Assert.Equal(first.Digest, again.Digest);
        Assert.Equal(first.Events, again.Events);
        Assert.NotEqual(first.Digest, other.Digest);
        Assert.InRange(first.Received, 1.0, 1.5);
    }
}
