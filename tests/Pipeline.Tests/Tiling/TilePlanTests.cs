using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Tests.Tiling;

public class TilePlanTests
{
    // Expected starts worked by hand from the reference rule (resshift.md §5).
    [Theory]
    [InlineData(37, 64, 48, new[] { 0 })]                 // below chop
    [InlineData(64, 64, 48, new[] { 0 })]                 // equal to chop: not tiled
    [InlineData(65, 64, 48, new[] { 0, 1 })]              // just above: 48 clamps to 1
    [InlineData(100, 64, 48, new[] { 0, 36 })]            // 48 and 96 both clamp to 36: duplicate removed
    [InlineData(160, 64, 48, new[] { 0, 48, 96 })]        // 96 + 64 = 160 fits exactly
    [InlineData(161, 64, 48, new[] { 0, 48, 96, 97 })]
    [InlineData(512, 512, 448, new[] { 0 })]
    [InlineData(513, 512, 448, new[] { 0, 1 })]
    [InlineData(1000, 512, 448, new[] { 0, 448, 488 })]
    [InlineData(1344, 512, 448, new[] { 0, 448, 832 })]
    [InlineData(300, 256, 224, new[] { 0, 44 })]
    [InlineData(200, 64, 64, new[] { 0, 64, 128, 136 })]  // no overlap
    public void StartsFollowTheReferenceRule(int length, int chop, int stride, int[] expected) =>
        Assert.Equal(expected, TilePlan.Starts(length, chop, stride));

    [Fact]
    public void TilesAreRowMajorAndSizedMinOfChopAndImage()
    {
        var plan = TilePlan.Create(100, 40, 64, 48);
        Assert.Equal(new[] { 0, 36 }, plan.RowStarts);
        Assert.Equal(new[] { 0 }, plan.ColumnStarts);
        Assert.Equal(new[] { new TileRect(0, 0, 64, 40), new TileRect(36, 0, 64, 40) }, plan.Tiles);

        var grid = TilePlan.FromOverlap(161, 100, 64, 16);
        Assert.Equal(48, grid.Stride);
        var expected = from y in new[] { 0, 48, 96, 97 } from x in new[] { 0, 36 } select new TileRect(y, x, 64, 64);
        Assert.Equal(expected, grid.Tiles);
    }

    [Theory]
    [InlineData(0, 10, 64, 48)]
    [InlineData(10, 10, 0, 1)]
    [InlineData(10, 10, 64, 65)]
    [InlineData(10, 10, 64, 0)]
    public void InvalidPlansAreRefused(int h, int w, int chop, int stride) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePlan.Create(h, w, chop, stride));
}
