using System;
using System.Threading;
using System.Threading.Tasks;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Fleet;

/// <summary>Work for one host, run by a worker with the host's executor.</summary>
internal sealed class FleetJob
{
    public FleetJob(FleetTarget target, Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>> work)
    {
        Target = target;
        Work = work;
    }

    public FleetTarget Target { get; }

    public Func<IHostExecutor, HostActivity, CancellationToken, Task<HostOutcome>> Work { get; }

    public HostActivity Activity { get; } = new();
}
