namespace Murder.Core.Swarm.Sessions;

/// <summary>
/// The transport's side of one peer connection, as the engine sees it: somewhere to queue messages
/// and a way to hang up. Both must return at once (a socket link queues; a simulated one schedules).
/// </summary>
internal interface IPeerLink
{
    /// <summary>Queues a message; a piece is read from the store (or simulated) only when it goes out.</summary>
    void Send(in OutgoingMessage message);

    /// <summary>Closes the connection; the transport then reports it gone.</summary>
    void Close();
}
