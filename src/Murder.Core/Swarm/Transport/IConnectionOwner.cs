using System.Threading;
using System.Threading.Tasks;
using Murder.Core.PeerWire;

namespace Murder.Core.Swarm.Transport;

/// <summary>What a socket connection calls back into: the engine's host, which serializes the calls.</summary>
internal interface IConnectionOwner
{
    /// <summary>A whole message arrived; throws <see cref="PeerProtocolException"/> to drop the peer.</summary>
    void Receive(SocketPeerConnection connection, in PeerMessage message);

    /// <summary>A queued block is about to be read and sent: false when it is no longer wanted.</summary>
    bool TakeUpload(SocketPeerConnection connection, BlockRequest block);

    /// <summary>Waits until the upload limit allows a block of this size.</summary>
    ValueTask ThrottleUploadAsync(int bytes, CancellationToken cancellation);
}
