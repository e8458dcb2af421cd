using ResShift.Pipeline.Fidelity;

namespace ResShift.Pipeline.Tests.Fidelity;

public class ConsistencyMeterTests
{
    private const int W = 48, H = 40, S = 4;
    private static readonly float[] Input = Pairs.Picture(W, H);

    private static FidelityReport Measure(float[] output, SampleRange range = SampleRange.Unit)
    {
        using var reference = FidelityReference.Capture(Input, W, H, S, SampleRange.Unit);
        return ConsistencyMeter.Measure(reference, output, W * S, H * S, range);
    }

    [Fact]
    public void ExactNearestUpscaleIsFullyConsistent()
    {
        FidelityReport r = Measure(Pairs.NearestUpscale(Input, W, H, S));
        Assert.Equal(ConsistencyMeter.MaxPsnrDb, r.PsnrDb);
        Assert.True(r.Ssim > 0.9999, $"SSIM {r.Ssim}");
        Assert.Equal("area-x4/luma-bt601/ssim-gauss11", r.Method);
    }

    [Fact]
    public void ModelSpaceOutputGivesTheSameFiguresAsUnitSpace()
    {
        float[] noisy = Pairs.NearestUpscale(Input.Select((v, i) => Math.Clamp(v + 0.02f * MathF.Sin(i), 0f, 1f)).ToArray(), W, H, S);
        FidelityReport unit = Measure(noisy);
        FidelityReport signed = Measure(Pairs.ToSigned(noisy), SampleRange.Signed);
        Assert.Equal(unit.PsnrDb, signed.PsnrDb, 3);
        Assert.Equal(unit.Ssim, signed.Ssim, 4);
        Assert.InRange(unit.PsnrDb, 30, 60); // small perturbation: high but no longer perfect
    }

    [Fact]
    public void ShiftedOutputIsInconsistent()
    {
        FidelityReport r = Measure(Pairs.NearestUpscale(Pairs.Shift(Input, W, H, 3, 2), W, H, S));
        Assert.True(r.PsnrDb < 22, $"PSNR {r.PsnrDb}");
        Assert.True(r.Ssim < 0.6, $"SSIM {r.Ssim}");
    }

    [Fact]
    public void ColourSwappedOutputIsInconsistent()
    {
        FidelityReport r = Measure(Pairs.NearestUpscale(Pairs.SwapRedBlue(Input, W, H), W, H, S));
        // Luma keeps the swapped picture's structure, so SSIM only dips: the colour drift shows in PSNR.
        Assert.True(r.PsnrDb < 25, $"PSNR {r.PsnrDb}");
        Assert.True(r.Ssim < 0.97, $"SSIM {r.Ssim}");
    }

    [Fact]
    public void NoiseOutputIsInconsistent()
    {
        FidelityReport r = Measure(Pairs.Noise(W * S, H * S, 5));
        Assert.True(r.PsnrDb < 20, $"PSNR {r.PsnrDb}");
        Assert.True(r.Ssim < 0.3, $"SSIM {r.Ssim}");
    }

    [Fact]
    public void NanOrInfinityIsRejectedWithCounts()
    {
        float[] up = Pairs.NearestUpscale(Input, W, H, S);
        up[17] = float.NaN;
        up[up.Length - 1] = float.PositiveInfinity;
        var e = Assert.Throws<OutputRejectedException>(() => Measure(up, SampleRange.Signed));
        Assert.Equal(OutputDefect.NonFinite, e.Defect);
        Assert.Contains("1 NaN and 1 infinite", e.Message);
    }

    [Fact]
    public void ConstantOutputFromAVariedInputIsRejected()
    {
        var grey = Enumerable.Repeat(0.5f, 3 * W * S * H * S).ToArray();
        var e = Assert.Throws<OutputRejectedException>(() => Measure(grey));
        Assert.Equal(OutputDefect.Constant, e.Defect);
        // Clamping hides nothing: an output beyond the range everywhere is constant once clamped.
        var over = Enumerable.Range(0, grey.Length).Select(i => 2f + i % 7).ToArray();
        Assert.Equal(OutputDefect.Constant, Assert.Throws<OutputRejectedException>(() => Measure(over, SampleRange.Signed)).Defect);
    }

    [Fact]
    public void ConstantOutputFromAConstantInputIsAccepted()
    {
        var blank = Enumerable.Repeat(0.9f, 3 * 10 * 12).ToArray();
        using var reference = FidelityReference.Capture(blank, 10, 12, 2, SampleRange.Unit);
        FidelityReport r = ConsistencyMeter.Measure(reference, Enumerable.Repeat(0.9f, 3 * 20 * 24).ToArray(), 20, 24, SampleRange.Unit);
        Assert.Equal(ConsistencyMeter.MaxPsnrDb, r.PsnrDb);
        Assert.Equal("area-x2/luma-bt601/ssim-gauss9", r.Method); // 10 px wide: the largest odd window that fits
    }

    [Fact]
    public void WrongOutputSizeIsAnError()
    {
        using var reference = FidelityReference.Capture(Input, W, H, S, SampleRange.Unit);
        var e = Assert.Throws<ArgumentException>(() => ConsistencyMeter.Measure(reference, new float[3 * W * 3 * H * 3], W * 3, H * 3, SampleRange.Unit));
        Assert.Contains("192×160", e.Message);
    }

    [Fact]
    public void ScaleOneBlursBothSides()
    {
        using var reference = FidelityReference.Capture(Input, W, H, 1, SampleRange.Unit);
        Assert.Equal(ConsistencyMeter.MaxPsnrDb, ConsistencyMeter.Measure(reference, Input, W, H, SampleRange.Unit).PsnrDb);
        FidelityReport shifted = ConsistencyMeter.Measure(reference, Pairs.Shift(Input, W, H, 2, 0), W, H, SampleRange.Unit);
        Assert.StartsWith("blur-binomial3/", shifted.Method);
        Assert.True(shifted.Ssim < 0.8, $"SSIM {shifted.Ssim}");
    }

    [Fact]
    public void KnownAreaMaskIgnoresTheUnknownPart()
    {
        float[] output = Pairs.NearestUpscale(Input, W, H, S);
        // Paint the left half of the output with noise: an inpainting model may invent anything there.
        float[] noise = Pairs.Noise(W * S, H * S, 9);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < H * S; y++)
                for (int x = 0; x < W * S / 2; x++)
                    output[(c * H * S + y) * W * S + x] = noise[(c * H * S + y) * W * S + x];
        var mask = new byte[W * H];
        for (int y = 0; y < H; y++)
            for (int x = W / 2 + 6; x < W; x++) mask[y * W + x] = 1; // known: the right half, away from the seam by more than a window
        using var masked = FidelityReference.Capture(Input, W, H, S, SampleRange.Unit, mask);
        FidelityReport r = ConsistencyMeter.Measure(masked, output, W * S, H * S, SampleRange.Unit);
        Assert.Equal(ConsistencyMeter.MaxPsnrDb, r.PsnrDb);
        Assert.True(r.Ssim > 0.9999, $"SSIM {r.Ssim}");
        Assert.EndsWith("/known-area", r.Method);
        Assert.True(Measure(output).PsnrDb < 20); // without the mask the invented half counts
    }
}
