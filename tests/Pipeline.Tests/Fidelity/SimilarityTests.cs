using ResShift.Pipeline.Fidelity;

namespace ResShift.Pipeline.Tests.Fidelity;

/// <summary>The streaming SSIM and PSNR against a plain double-precision, window-by-window reading of their definitions.</summary>
public class SimilarityTests
{
    private static double ReferenceSsim(float[] a, float[] b, int w, int h)
    {
        int k = Similarity.WindowFor(w, h), half = k / 2;
        var g = new double[k];
        for (int i = 0; i < k; i++) g[i] = Math.Exp(-((i - half) * (i - half)) / (2 * 1.5 * 1.5));
        double gs = g.Sum();
        double c1 = 1e-4, c2 = 9e-4, sum = 0;
        int n = 0;
        for (int y0 = 0; y0 + k <= h; y0++)
            for (int x0 = 0; x0 + k <= w; x0++)
            {
                double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                for (int dy = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++)
                    {
                        double wt = g[dy] * g[dx] / (gs * gs), x = a[(y0 + dy) * w + x0 + dx], y = b[(y0 + dy) * w + x0 + dx];
                        mx += wt * x; my += wt * y; xx += wt * x * x; yy += wt * y * y; xy += wt * x * y;
                    }
                double vx = xx - mx * mx, vy = yy - my * my, cxy = xy - mx * my;
                sum += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                n++;
            }
        return sum / n;
    }

    [Theory]
    [InlineData(37, 29)]
    [InlineData(11, 11)]
    [InlineData(7, 30)]
    public void SsimMatchesTheDefinition(int w, int h)
    {
        var rng = new Random(w * 100 + h);
        float[] a = Enumerable.Range(0, w * h).Select(i => (float)(0.5 + 0.4 * Math.Sin(i * 0.3) * rng.NextDouble())).ToArray();
        float[] b = a.Select(v => Math.Clamp(v + (float)(0.15 * (rng.NextDouble() - 0.5)), 0f, 1f)).ToArray();
        double expected = ReferenceSsim(a, b, w, h);
        Assert.Equal(expected, Similarity.Ssim(a, b, w, h, default), 4);
        Assert.InRange(expected, 0.2, 0.99); // the pair is neither identical nor unrelated
    }

    [Fact]
    public void PsnrMatchesTheDefinition()
    {
        float[] a = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f];
        float[] b = [0.1f, 0.25f, 0.3f, 0.4f, 0.45f, 0.6f];
        double mse = (0.05 * 0.05 * 2) / 6;
        Assert.Equal(10 * Math.Log10(1 / mse), Similarity.Psnr(a, b, 3, 2, default, 100), 3);
        Assert.Equal(100, Similarity.Psnr(a, a, 3, 2, default, 100));
    }
}
