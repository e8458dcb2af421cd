using ResShift.Pipeline.Noise;

namespace ResShift.Pipeline.Tests.Noise;

public class NoiseFieldTests
{
    // Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors).
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxMatchesKnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        var (a, b, c, d) = Philox4x32.Generate(c0, c1, c2, c3, k0, k1);
        Assert.Equal((e0, e1, e2, e3), (a, b, c, d));
    }

    [Fact]
    public void PortableMathAgreesWithLibm()
    {
        var r = new Random(3);
        double worstLog = 0, worstTrig = 0;
        for (int i = 0; i < 200_000; i++)
        {
            uint a = (uint)r.Next() ^ ((uint)r.Next() << 16);
            double u = (a + 1.0) / 4294967296.0;
            worstLog = Math.Max(worstLog, Math.Abs(PortableMath.Log(u) - Math.Log(u)) / Math.Max(1e-300, Math.Abs(Math.Log(u))) * (u == 1 ? 0 : 1));
            var (s, c) = PortableMath.SinCosTurns(a);
            double angle = 2 * Math.PI * (a / 4294967296.0);
            worstTrig = Math.Max(worstTrig, Math.Max(Math.Abs(s - Math.Sin(angle)), Math.Abs(c - Math.Cos(angle))));
        }
        Assert.True(worstLog < 1e-14, $"log relative error {worstLog}");
        Assert.True(worstTrig < 1e-14, $"sin/cos error {worstTrig}");
        Assert.Equal(0.0, PortableMath.Log(1.0));
        Assert.Equal(Math.Log(2.0 / 4294967296.0), PortableMath.Log(2.0 / 4294967296.0), 12);
    }

    [Fact]
    public void SameRequestGivesSameBits()
    {
        var field = new NoiseField(123);
        var a = new float[3 * 17 * 23];
        var b = new float[a.Length];
        var req = new NoiseRequest(5, 2, 3, 10, 7, 17, 23);
        field.Fill(req, a);
        field.Fill(req, b);
        Assert.Equal(a, b);
        Assert.Contains(a, v => v != 0f);
    }

    [Fact]
    public void ValuesDependOnPositionOnlyNotOnTheBlockThatComputesThem()
    {
        var field = new NoiseField(99);
        const int C = 3, H = 40, W = 50;
        var whole = new float[C * H * W];
        field.Fill(new NoiseRequest(77, 3, C, 0, 0, H, W), whole);
        foreach (var (y0, x0, h, w) in new[] { (7, 13, 10, 9), (0, 1, 40, 3), (39, 49, 1, 1), (20, 2, 5, 48), (3, 4, 1, 5) })
        {
            var part = new float[C * h * w];
            field.Fill(new NoiseRequest(77, 3, C, y0, x0, h, w), part);
            for (int c = 0; c < C; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        Assert.Equal(whole[(c * H + y0 + y) * W + x0 + x], part[(c * h + y) * w + x]);
        }
        Assert.Equal(whole[(2 * H + 11) * W + 31], NoiseField.ValueAt(99, 77, 3, 2, 11, 31));
    }

    [Fact]
    public void SeedJobAndStepEachChangeTheStream()
    {
        float[] Draw(ulong seed, ulong job, int step)
        {
            var v = new float[64];
            new NoiseField(seed).Fill(new NoiseRequest(job, step, 1, 0, 0, 8, 8), v);
            return v;
        }
        float[] baseline = Draw(1, 1, 1);
        Assert.NotEqual(baseline, Draw(2, 1, 1));
        Assert.NotEqual(baseline, Draw(1, 2, 1));
        Assert.NotEqual(baseline, Draw(1, 1, 2));
    }

    [Fact]
    public void MeanAndVarianceAreStandardNormal()
    {
        const int C = 4, H = 256, W = 256;
        var v = new float[C * H * W];
        new NoiseField(2026).Fill(new NoiseRequest(1, 1, C, 0, 0, H, W), v);
        int n = v.Length;
        double mean = v.Average(x => (double)x);
        double variance = v.Sum(x => (x - mean) * (x - mean)) / (n - 1);
        double kurtosis = v.Sum(x => Math.Pow(x - mean, 4)) / n / (variance * variance);
        // 6-sigma bounds: fail only if the generator is wrong, not by chance.
        Assert.True(Math.Abs(mean) < 6 / Math.Sqrt(n), $"mean {mean}");
        Assert.True(Math.Abs(variance - 1) < 6 * Math.Sqrt(2.0 / n), $"variance {variance}");
        Assert.True(Math.Abs(kurtosis - 3) < 6 * Math.Sqrt(24.0 / n), $"kurtosis {kurtosis}");
        double tail = v.Count(x => Math.Abs(x) > 2) / (double)n; // P(|z|>2) = 0.0455
        Assert.True(Math.Abs(tail - 0.0455) < 6 * Math.Sqrt(0.0455 * 0.9545 / n), $"tail {tail}");
    }

    [Fact]
    public void NoCorrelationBetweenStepsChannelsOrNeighbours()
    {
        const int H = 256, W = 256;
        var field = new NoiseField(5);
        var s1 = new float[2 * H * W];
        var s2 = new float[2 * H * W];
        field.Fill(new NoiseRequest(3, 1, 2, 0, 0, H, W), s1);
        field.Fill(new NoiseRequest(3, 2, 2, 0, 0, H, W), s2);
        double bound = 6 / Math.Sqrt(H * W);

        Assert.True(Math.Abs(Correlation(s1.AsSpan(0, H * W), s2.AsSpan(0, H * W))) < bound, "step 1 vs step 2");
        Assert.True(Math.Abs(Correlation(s1.AsSpan(0, H * W), s1.AsSpan(H * W, H * W))) < bound, "channel 0 vs channel 1");
        // Horizontal neighbours (pairs inside and across Box-Muller lanes) and vertical neighbours.
        var left = new float[H * (W - 1)];
        var right = new float[H * (W - 1)];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W - 1; x++)
            {
                left[y * (W - 1) + x] = s1[y * W + x];
                right[y * (W - 1) + x] = s1[y * W + x + 1];
            }
        Assert.True(Math.Abs(Correlation(left, right)) < bound, "x vs x+1");
        Assert.True(Math.Abs(Correlation(s1.AsSpan(0, (H - 1) * W), s1.AsSpan(W, (H - 1) * W))) < bound, "y vs y+1");
        // Lanes 0/1 share one Box-Muller pair: their squares must be uncorrelated too (radius shared).
        var l0 = new float[H * W / 4];
        var l1 = new float[H * W / 4];
        for (int i = 0; i < l0.Length; i++)
        {
            l0[i] = s1[4 * i] * s1[4 * i];
            l1[i] = s1[4 * i + 1] * s1[4 * i + 1];
        }
        Assert.True(Math.Abs(Correlation(l0, l1)) < 6 / Math.Sqrt(l0.Length), "squared lanes 0 and 1");
    }

    [Fact]
    public void BadRequestsAreRefused()
    {
        var field = new NoiseField(1);
        Assert.Throws<ArgumentException>(() => field.Fill(new NoiseRequest(1, 1, 1, 0, 0, 4, 4), new float[15]));
        Assert.Throws<ArgumentOutOfRangeException>(() => field.Fill(new NoiseRequest(1, 1, 1, -1, 0, 4, 4), new float[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => field.Fill(new NoiseRequest(1, 1, 0, 0, 0, 4, 4), new float[16]));
    }

    private static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.Length; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.Length;
        mb /= b.Length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
