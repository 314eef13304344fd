using System.Net;
using System.Net.Sockets;

namespace Murder.Core.Hosting;

/// <summary>A TCP port free right now, for a child process that must be told its port in advance.</summary>
public static class FreePort
{
    /// <summary>A port no socket holds at this moment.</summary>
    public static int Pick()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
