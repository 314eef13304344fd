using System;
using Murder.Core.MetaInfo;

namespace Murder.Core.Swarm;

/// <summary>What a swarm tells its tracker.</summary>
/// <param name="InfoHash">The torrent.</param>
/// <param name="PeerId">Our 20-byte peer id.</param>
/// <param name="Port">Our listening port.</param>
/// <param name="Uploaded">Bytes uploaded.</param>
/// <param name="Downloaded">Bytes downloaded.</param>
/// <param name="Left">Bytes still missing.</param>
/// <param name="Event">The event, if any.</param>
/// <param name="NumWant">Peers wanted.</param>
public sealed record SwarmAnnounce(InfoHash InfoHash, ReadOnlyMemory<byte> PeerId, int Port, long Uploaded, long Downloaded, long Left, SwarmAnnounceEvent Event, int NumWant);
