using System;
using System.Collections.Generic;
using Murder.Core.PeerWire;

namespace Murder.Core.Swarm.Seeding;

/// <summary>What an origin has told one peer it holds, and the offered pieces not yet delivered to it.</summary>
internal sealed class PeerOffers
{
    public PeerOffers(int pieceCount)
    {
        Revealed = new Bitfield(pieceCount);
    }

    /// <summary>Pieces announced to the peer with a 'have'.</summary>
    public Bitfield Revealed { get; }

    /// <summary>Offered pieces the peer does not hold yet, with the blocks of each sent to it so far.</summary>
    public Dictionary<int, int> Pending { get; } = new();

    /// <summary>When it was last offered a piece (offers go round the peers).</summary>
    public TimeSpan LastOffered { get; set; } = TimeSpan.MinValue;

    /// <summary>When a piece offered to it was last delivered in full (a peer that takes pieces quickly gets the spare ones).</summary>
    public TimeSpan LastDelivered { get; set; } = TimeSpan.MinValue;
}
