using System;
using System.Collections.Generic;
using System.Net;

namespace Murder.Core.Swarm;

/// <summary>What a tracker answered.</summary>
/// <param name="Interval">When to announce again.</param>
/// <param name="Peers">Peers to connect to.</param>
public sealed record SwarmAnnounceResponse(TimeSpan Interval, IReadOnlyList<IPEndPoint> Peers);
