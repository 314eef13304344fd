using System;
using System.Collections.Generic;
using System.Linq;
using Murder.Core.PeerWire;
using Murder.Core.Swarm;
using Xunit;

namespace Murder.Core.Tests.Swarm;

public class PiecePickerTests
{
    private const int PieceLength = 64 * 1024; // four 16 KiB blocks
    private const int Pieces = 32;

    [Fact]
    public void A_seed_is_asked_only_for_pieces_no_downloading_peer_has()
    {
        PiecePicker picker = NewPicker(out Bitfield seed);
        var peer = new Bitfield(Pieces);
        for (int index = 0; index < Pieces; index += 2)
        {
            peer.Set(index); // another peer holds the even pieces
        }

        picker.AddAvailability(seed);
        picker.AddAvailability(peer);
        var output = new List<BlockRequest>();
        picker.Pick(seed, 1000, Array.Empty<BlockRequest>(), output, maxAvailability: 1);

        Assert.NotEmpty(output);
        Assert.All(output, request => Assert.True(request.Piece % 2 == 1, $"piece {request.Piece} is held by a peer too"));
        Assert.Equal(Pieces / 2, output.Select(request => request.Piece).Distinct().Count());
    }

    [Fact]
    public void A_seed_gets_no_new_pieces_once_every_piece_is_held_by_a_peer()
    {
        PiecePicker picker = NewPicker(out Bitfield seed);
        picker.AddAvailability(seed);
        picker.AddAvailability(seed); // a downloading peer that happens to hold everything we lack
        var output = new List<BlockRequest>();
        picker.Pick(seed, 1000, Array.Empty<BlockRequest>(), output, maxAvailability: 1);
        Assert.Empty(output);

        picker.Pick(seed, 1000, Array.Empty<BlockRequest>(), output); // unrestricted: a peer is asked
        Assert.Equal(Pieces * 4, output.Count);
    }

    [Fact]
    public void Endgame_duplicates_only_for_a_peer_whose_queue_has_drained()
    {
        PiecePicker picker = NewPicker(out Bitfield seed);
        picker.AddAvailability(seed);
        var first = new List<BlockRequest>();
        picker.Pick(seed, 1000, Array.Empty<BlockRequest>(), first);
        Assert.Equal(Pieces * 4, first.Count); // every block is now requested: endgame

        var busy = first.Take(PiecePicker.EndgameQueue).ToList();
        var duplicates = new List<BlockRequest>();
        picker.Pick(seed, 1000, busy, duplicates);
        Assert.Empty(duplicates);

        var nearlyIdle = first.Take(1).ToList();
        picker.Pick(seed, 1000, nearlyIdle, duplicates);
        Assert.Equal(PiecePicker.EndgameQueue - 1, duplicates.Count);
        Assert.DoesNotContain(nearlyIdle[0], duplicates);
    }

    [Fact]
    public void No_duplicates_mid_download_from_a_peer_with_nothing_new()
    {
        PiecePicker picker = NewPicker(out Bitfield seed);
        var partial = new Bitfield(Pieces);
        partial.Set(0);
        partial.Set(1); // a downloading peer holding two pieces
        picker.AddAvailability(seed);
        picker.AddAvailability(partial);
        var fromSeed = new List<BlockRequest>();
        picker.Pick(partial, 8, Array.Empty<BlockRequest>(), fromSeed); // both its pieces are now requested from it
        Assert.Equal(8, fromSeed.Count);

        // A second peer holding the same two pieces: everything it has is requested elsewhere, but 30
        // pieces are not started yet, so this is not endgame and nothing is asked twice.
        var duplicates = new List<BlockRequest>();
        picker.Pick(partial, 1000, Array.Empty<BlockRequest>(), duplicates);
        Assert.Empty(duplicates);
        Assert.False(picker.IsEndgame);

        // Once every piece is started and every block requested, a drained peer does get duplicates.
        picker.Pick(seed, 1000, fromSeed, new List<BlockRequest>());
        Assert.True(picker.IsEndgame);
        picker.Pick(partial, 1000, Array.Empty<BlockRequest>(), duplicates);
        Assert.Equal(PiecePicker.EndgameQueue, duplicates.Count);
        Assert.All(duplicates, request => Assert.True(request.Piece < 2));
    }

    [Fact]
    public void A_seed_is_asked_for_the_peers_stripe_first_then_for_anything()
    {
        PiecePicker picker = NewPicker(out Bitfield seed);
        picker.AddAvailability(seed);
        var first = new List<BlockRequest>();
        picker.Pick(seed, 8 * 4, Array.Empty<BlockRequest>(), first, maxAvailability: 1, stripe: (1, 4));
        Assert.Equal(8 * 4, first.Count);
        Assert.All(first, request => Assert.Equal(1, request.Piece % 4)); // pieces 1, 5, ..., 29: the whole stripe

        var more = new List<BlockRequest>();
        picker.Pick(seed, 4, first, more, maxAvailability: 1, stripe: (1, 4));
        Assert.Equal(4, more.Count);
        Assert.All(more, request => Assert.NotEqual(1, request.Piece % 4)); // the stripe is exhausted: any other

        // Four peers with one rank each ask the seed for disjoint pieces.
        var taken = new HashSet<int>();
        for (int rank = 0; rank < 4; rank++)
        {
            PiecePicker other = NewPicker(out _);
            other.AddAvailability(seed);
            var picked = new List<BlockRequest>();
            other.Pick(seed, 4 * 4, Array.Empty<BlockRequest>(), picked, maxAvailability: 1, stripe: (rank, 4));
            foreach (int piece in picked.Select(request => request.Piece).Distinct())
            {
                Assert.True(taken.Add(piece), $"piece {piece} picked by two ranks");
            }
        }
    }

    [Fact]
    public void A_seed_does_not_finish_pieces_started_from_a_peer()
    {
        PiecePicker picker = NewPicker(out Bitfield seed);
        var peer = new Bitfield(Pieces);
        peer.Set(3);
        picker.AddAvailability(seed);
        picker.AddAvailability(peer);
        var fromPeer = new List<BlockRequest>();
        picker.Pick(peer, 1, Array.Empty<BlockRequest>(), fromPeer); // piece 3 is now in progress
        Assert.Equal(3, Assert.Single(fromPeer).Piece);

        var fromSeed = new List<BlockRequest>();
        picker.Pick(seed, 1000, Array.Empty<BlockRequest>(), fromSeed, maxAvailability: 1);
        Assert.DoesNotContain(fromSeed, request => request.Piece == 3);
        Assert.Equal((Pieces - 1) * 4, fromSeed.Count);
    }

    [Fact]
    public void A_failed_piece_is_picked_again_and_pieces_already_had_never_are()
    {
        (Murder.Core.MetaInfo.TorrentMetaInfo torrent, _) = SwarmTestData.Make(PieceLength * Pieces, PieceLength);
        var have = new Bitfield(Pieces);
        for (int index = 0; index < Pieces; index += 3)
        {
            have.Set(index); // resumed: these were verified before
        }

        var seed = new Bitfield(Pieces);
        seed.SetAll();
        var picker = new PiecePicker(torrent, have, PeerWireLimits.BlockLength, new Random(11));
        picker.AddAvailability(seed);

        // One piece at a time, from random starting points: every missing piece exactly once, wrapping around.
        // (All of it stays outstanding, so the endgame at the end adds no duplicates.)
        var picked = new List<int>();
        var outstanding = new List<BlockRequest>();
        for (int round = 0; round < Pieces; round++)
        {
            var output = new List<BlockRequest>();
            picker.Pick(seed, 4, outstanding, output);
            if (output.Count == 0)
            {
                break;
            }

            picked.Add(Assert.Single(output.Select(request => request.Piece).Distinct()));
            outstanding.AddRange(output);
        }

        Assert.Equal(Enumerable.Range(0, Pieces).Where(index => index % 3 != 0), picked.OrderBy(index => index));

        // A piece that fails its check becomes pickable again, and only it.
        int failing = picked[0];
        PieceProgress? complete = null;
        for (int begin = 0; begin < PieceLength; begin += PeerWireLimits.BlockLength)
        {
            complete = picker.BlockReceived(new BlockRequest(failing, begin, PeerWireLimits.BlockLength), new byte[PeerWireLimits.BlockLength], this, out _);
        }

        Assert.NotNull(complete);
        picker.PieceFailed(complete!);
        outstanding.RemoveAll(request => request.Piece == failing);
        var again = new List<BlockRequest>();
        picker.Pick(seed, 1000, outstanding, again);
        Assert.Equal(failing, Assert.Single(again.Select(request => request.Piece).Distinct()));
    }

    private static PiecePicker NewPicker(out Bitfield seed)
    {
        (Murder.Core.MetaInfo.TorrentMetaInfo torrent, _) = SwarmTestData.Make(PieceLength * Pieces, PieceLength);
        seed = new Bitfield(Pieces);
        for (int index = 0; index < Pieces; index++)
        {
            seed.Set(index);
        }

        return new PiecePicker(torrent, new Bitfield(Pieces), PeerWireLimits.BlockLength, new Random(7));
    }
}
