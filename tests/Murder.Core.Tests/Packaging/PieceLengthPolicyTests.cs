using Murder.Core.Packaging;
using Xunit;

namespace Murder.Core.Tests.Packaging;

public class PieceLengthPolicyTests
{
    [Theory]
    [InlineData(0L, 64 * 1024)]
    [InlineData(1L, 64 * 1024)]
    [InlineData(100L * 1024 * 1024, 64 * 1024)]
    [InlineData(256L * 1024 * 1024, 128 * 1024)]
    [InlineData(1024L * 1024 * 1024, 512 * 1024)]
    [InlineData(7L * 1024 * 1024 * 1024, 4 * 1024 * 1024)]
    [InlineData(1L << 50, 16 * 1024 * 1024)]
    public void Chooses_a_power_of_two_for_about_2048_pieces(long size, int expected)
    {
        int chosen = PieceLengthPolicy.Choose(size);
        Assert.Equal(expected, chosen);
        Assert.True(size / chosen <= PieceLengthPolicy.TargetPieceCount || chosen == PieceLengthPolicy.MaximumAutomatic);
    }

    [Theory]
    [InlineData(16 * 1024, true)]
    [InlineData(256 * 1024, true)]
    [InlineData(64 * 1024 * 1024, true)]
    [InlineData(8 * 1024, false)]
    [InlineData(128L * 1024 * 1024, false)]
    [InlineData(300_000, false)]
    [InlineData(-1, false)]
    public void Explicit_lengths_are_checked(long length, bool valid)
    {
        Assert.Equal(valid, PieceLengthPolicy.Check(length) is null);
    }
}
