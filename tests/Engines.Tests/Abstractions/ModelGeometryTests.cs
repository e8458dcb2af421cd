using ResShift.Engines.Abstractions;

namespace ResShift.Engines.Tests.Abstractions;

public class ModelGeometryTests
{
    [Fact]
    public void DerivedSizesFollowTileScaleAndLatentFactor()
    {
        var g = new ModelGeometry(LqTile: 64, Scale: 4, LatentFactor: 4, LatentChannels: 3);
        Assert.Equal(256, g.ImageTile);
        Assert.Equal(64, g.LatentTile);
        Assert.Equal(3 * 64 * 64, g.LqElements);
        Assert.Equal(3 * 256 * 256, g.ImageElements);
        Assert.Equal(3 * 64 * 64, g.LatentElements);
        var face = new ModelGeometry(LqTile: 512, Scale: 1, LatentFactor: 8, LatentChannels: 8);
        Assert.Equal(64, face.LatentTile);
        Assert.Equal(8 * 64 * 64, face.LatentElements);
    }

    [Theory]
    [InlineData(0, 4, 4, 3)]
    [InlineData(64, 4, 0, 3)]
    [InlineData(10, 1, 4, 3)]
    public void InvalidGeometryIsRefused(int tile, int scale, int factor, int channels) =>
        Assert.Throws<ArgumentException>(() => new ModelGeometry(tile, scale, factor, channels).Validate());
}
