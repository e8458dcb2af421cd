using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Tests.Tiling;

public class TileBlenderTests
{
    private const int Scale = 4;

    /// <summary>A stand-in for the model: each tile's output is the true output cropped, padding filled with junk.</summary>
    private static float[] TileOutputFrom(float[] truth, int channels, int outH, int outW, TileRect tile, int stride)
    {
        var tileOut = new float[channels * stride * stride];
        Array.Fill(tileOut, 1e6f); // junk in the padded area must never reach the output
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < tile.Height * Scale; y++)
                for (int x = 0; x < tile.Width * Scale; x++)
                    tileOut[(c * stride + y) * stride + x] = truth[(c * outH + tile.Y * Scale + y) * outW + tile.X * Scale + x];
        return tileOut;
    }

    public static TheoryData<BlendMode, int, int> Cases => new()
    {
        { BlendMode.Feather, 100, 73 }, { BlendMode.Average, 100, 73 },
        { BlendMode.Feather, 161, 64 }, { BlendMode.Average, 30, 20 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IdentityEngineReproducesAGradientImage(BlendMode mode, int h, int w)
    {
        var plan = TilePlan.FromOverlap(h, w, 32, 8);
        int outH = h * Scale, outW = w * Scale;
        var truth = new float[3 * outH * outW];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < outH; y++)
                for (int x = 0; x < outW; x++)
                    truth[(c * outH + y) * outW + x] = (float)(-1 + 2.0 * (y + 2 * x + 50 * c) / (outH + 2 * outW + 100));
        var blender = new TileBlender(plan, Scale, 3, mode);
        for (int i = 0; i < plan.Tiles.Count; i++)
            blender.Add(i, TileOutputFrom(truth, 3, outH, outW, plan.Tiles[i], 32 * Scale), 32 * Scale);
        Assert.True(blender.IsComplete());
        var result = new float[truth.Length];
        blender.Resolve(result);
        for (int i = 0; i < truth.Length; i++)
            Assert.True(Math.Abs(truth[i] - result[i]) <= 1e-6f, $"pixel {i}: {truth[i]} vs {result[i]}");
    }

    [Theory]
    [InlineData(BlendMode.Feather)]
    [InlineData(BlendMode.Average)]
    public void ConstantImageStaysConstant(BlendMode mode)
    {
        var plan = TilePlan.Create(90, 150, 64, 40);
        var blender = new TileBlender(plan, Scale, 1, mode);
        var tile = new float[256 * 256];
        Array.Fill(tile, 0.3f);
        for (int i = 0; i < plan.Tiles.Count; i++) blender.Add(i, tile, 256);
        var result = new float[360 * 600];
        blender.Resolve(result);
        Assert.All(result, v => Assert.Equal(0.3f, v, 6));
    }

    [Fact]
    public void MissingTileLeavesPixelsUncoveredAndResolveRefuses()
    {
        var plan = TilePlan.Create(100, 64, 64, 48);
        var blender = new TileBlender(plan, Scale, 1, BlendMode.Feather);
        blender.Add(0, new float[256 * 256], 256);
        Assert.False(blender.IsComplete());
        Assert.Throws<InvalidOperationException>(() => blender.Resolve(new float[400 * 256]));
        blender.Add(1, new float[256 * 256], 256);
        Assert.True(blender.IsComplete());
    }

    [Fact]
    public void FeatherRampsSmoothlyAcrossTheOverlapWhereAverageSteps()
    {
        // Two tiles side by side: the left outputs 1, the right 0; overlap 16 LQ = 64 output pixels.
        var plan = TilePlan.Create(16, 48, 32, 16);
        Assert.Equal(new[] { 0, 16 }, plan.ColumnStarts);
        float[] Row(BlendMode mode)
        {
            var b = new TileBlender(plan, 1, 1, mode);
            var one = new float[32 * 32];
            Array.Fill(one, 1f);
            b.Add(0, one, 32);
            b.Add(1, new float[32 * 32], 32);
            var r = new float[16 * 48];
            b.Resolve(r);
            return r[..48];
        }
        float[] feather = Row(BlendMode.Feather);
        float[] average = Row(BlendMode.Average);
        for (int x = 0; x < 16; x++) Assert.Equal(1f, feather[x]);
        for (int x = 32; x < 48; x++) Assert.Equal(0f, feather[x]);
        for (int x = 16; x < 31; x++) Assert.True(feather[x] > feather[x + 1], $"feather not decreasing at {x}");
        Assert.True(Math.Abs(feather[23] + feather[24] - 1f) < 1e-6f, "raised cosine is symmetric about the overlap centre");
        for (int x = 16; x < 32; x++) Assert.Equal(0.5f, average[x]);
    }

    [Fact]
    public void ConcurrentAddsGiveTheSameResultAsSequential()
    {
        var plan = TilePlan.Create(200, 200, 32, 24);
        var r = new Random(1);
        var tiles = plan.Tiles.Select(_ => Enumerable.Range(0, 128 * 128).Select(_ => (float)r.NextDouble()).ToArray()).ToArray();
        float[] Run(bool parallel)
        {
            var b = new TileBlender(plan, 4, 1, BlendMode.Feather);
            if (parallel) Parallel.For(0, tiles.Length, i => b.Add(i, tiles[i], 128));
            else for (int i = 0; i < tiles.Length; i++) b.Add(i, tiles[i], 128);
            var o = new float[800 * 800];
            b.Resolve(o);
            return o;
        }
        float[] a = Run(false), p = Run(true);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - p[i]) < 1e-5f);
    }

    [Fact]
    public void ExtractorCopiesTheTileAndReflectPads()
    {
        int h = 5, w = 7;
        var image = Enumerable.Range(0, 2 * h * w).Select(i => (float)i).ToArray();
        var dst = new float[2 * 6 * 6];
        TileExtractor.Extract(image, 2, h, w, new TileRect(1, 2, 4, 5), 6, dst);
        // channel 1, row 0 = image row 1, cols 2..6, then reflect of col 5 (index 3 of the crop → col 5).
        Assert.Equal(new float[] { 35 + 9, 35 + 10, 35 + 11, 35 + 12, 35 + 13, 35 + 12 }, dst.AsSpan(36, 6).ToArray());
        // padded row 4 mirrors crop row 2 (image row 3).
        Assert.Equal(image[3 * 7 + 2], dst[4 * 6]);
        Assert.Throws<ArgumentOutOfRangeException>(() => TileExtractor.Extract(image, 2, h, w, new TileRect(2, 2, 4, 5), 6, dst));
    }

    /// <summary>
    /// Issue 16: a 7200×6900 input at ×4 is 2.38 G blend values; int arithmetic overflowed into an
    /// OverflowException. The blender must refuse it with the reason, before allocating anything.
    /// </summary>
    [Fact]
    public void AnOutputTooLargeForOneBufferIsRefusedBeforeAllocating()
    {
        var plan = TilePlan.FromOverlap(6900, 7200, 64, 16);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentException>(() => new TileBlender(plan, Scale, 3, BlendMode.Average));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the blender allocated before refusing");
        Assert.Contains("×4 output of 28800×27600×3 = 2384640000 values", e.Message);
        Assert.Contains("the largest input at ×4 is 44.7 megapixels", e.Message);

        // Just under the limit is accepted by the check (not allocated here), just over is not.
        Assert.Null(TileBlender.SizeProblem(5000, 8900, Scale, 3));
        Assert.NotNull(TileBlender.SizeProblem(5000, 9000, Scale, 3));
        Assert.NotNull(TileBlender.SizeProblem(int.MaxValue, int.MaxValue, Scale, 3)); // no long overflow either
    }
}
