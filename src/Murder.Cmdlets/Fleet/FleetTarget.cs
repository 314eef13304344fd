using System.Management.Automation.Runspaces;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Fleet;

/// <summary>One host to work on: an SSH host or a PSRemoting session.</summary>
internal sealed record FleetTarget(string ComputerName, FleetHost? Host, PSSession? Session)
{
    public static FleetTarget For(FleetHost host) => new(host.ToString(), host, null);

    public static FleetTarget For(PSSession session) => new(session.ComputerName, null, session);
}
