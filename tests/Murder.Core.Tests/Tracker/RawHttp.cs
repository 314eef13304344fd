using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Murder.Core.Tests.Tracker;

/// <summary>Reading raw HTTP responses off a socket, for the server tests.</summary>
internal static class RawHttp
{
    // A bound for waiting on the server; never an assertion about speed.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Reads until the server's FIN; a reset fails the test.</summary>
    public static async Task<string> ReadUntilClosedAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var received = new List<byte>();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    /// <summary>The Content-Length header's value.</summary>
    public static int ContentLength(string response)
    {
        const string Header = "Content-Length: ";
        int start = response.IndexOf(Header, StringComparison.Ordinal) + Header.Length;
        int end = response.IndexOf("\r\n", start, StringComparison.Ordinal);
        return int.Parse(response[start..end], CultureInfo.InvariantCulture);
    }

    /// <summary>Everything after the head.</summary>
    public static string Body(string response) => response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
}
