using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Resampling;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Diffusion;

public class SamplerTests
{
    private static readonly DiffusionSchedule Schedule = new(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));

    private static float[] Lq(int tiles, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, tiles * 48).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>The loop of resshift.md §3 redone element by element in float64 from the schedule's float64 values.</summary>
    private static double[] Reference(float[] lq, TileNoiseOrigin[] origins, double s)
    {
        int n = origins.Length;
        var up = new float[n * 768];
        var bicubic = new BicubicUpsampler(4);
        for (int i = 0; i < n; i++) bicubic.Upsample(lq.AsSpan(i * 48, 48), 3, 4, 4, up.AsSpan(i * 768, 768));
        var x = new double[n * 48];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 4; y++)
                    for (int xx = 0; xx < 4; xx++)
                    {
                        var o = origins[i];
                        x[i * 48 + c * 16 + y * 4 + xx] = RecordingEngine.EncodeAt(up.AsSpan(i * 768, 768), c, y, xx)
                            + s * Schedule.PriorStd * TableNoise.At(o.JobKey, 4, c, o.LatentY + y, o.LatentX + xx);
                    }
        for (int t = 3; t >= 0; t--)
            for (int i = 0; i < n; i++)
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < 4; y++)
                        for (int xx = 0; xx < 4; xx++)
                        {
                            int k = i * 48 + c * 16 + y * 4 + xx;
                            double x0 = 0.5 * (x[k] / Schedule.InputStd[t]) + 0.01 * t + 0.1 * lq[k];
                            var o = origins[i];
                            double eps = t > 0 ? TableNoise.At(o.JobKey, t, c, o.LatentY + y, o.LatentX + xx) : 0;
                            x[k] = Schedule.C1[t] * x[k] + Schedule.C2[t] * x0 + s * Schedule.Sigma[t] * eps;
                        }
        var image = new double[n * 768];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 16; y++)
                    for (int xx = 0; xx < 16; xx++)
                        image[i * 768 + c * 256 + y * 16 + xx] = 2 * x[i * 48 + c * 16 + (y / 4) * 4 + xx / 4] - 0.1;
        return image;
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public async Task LoopArithmeticMatchesHandComputedReference(double noiseScale)
    {
        var engine = new RecordingEngine();
        var sampler = new DiffusionSampler(engine, new SamplerConstants(Schedule, noiseScale), new TableNoise());
        float[] lq = Lq(2, 1);
        var origins = new[] { new TileNoiseOrigin(7, 0, 0), new TileNoiseOrigin(9, 4, 12) };
        var output = new float[2 * 768];
        await sampler.SampleAsync(lq, origins, output, CancellationToken.None);

        double[] expected = Reference(lq, origins, noiseScale);
        double maxErr = expected.Select((e, i) => Math.Abs(e - output[i])).Max();
        Assert.True(maxErr < 2e-5, $"max abs error {maxErr}");
        Assert.True(expected.Select(Math.Abs).Max() > 0.1, "reference is not trivially zero");
    }

    [Fact]
    public async Task StepsRunFromTMinus1ToZeroWithRawIntegerTAndInputScaledByInputStd()
    {
        var engine = new RecordingEngine();
        var noise = new TableNoise();
        var k = new SamplerConstants(Schedule, 1.0);
        var sampler = new DiffusionSampler(engine, k, noise);
        await sampler.SampleAsync(Lq(1, 2), [new TileNoiseOrigin(1, 0, 0)], new float[768], CancellationToken.None);

        Assert.Equal(new long[] { 3, 2, 1, 0 }, engine.DenoiseCalls.Select(c => c.T));
        // x entering step t: the encoder output plus prior noise, then each update; check x/input_std[t] bit-exactly.
        float[] x = engine.EncodeOutputs[0].ToArray();
        var eps = new float[48];
        noise.Fill(new NoiseRequest(1, 4, 3, 0, 0, 4, 4), eps);
        for (int i = 0; i < 48; i++) x[i] = MathF.FusedMultiplyAdd(eps[i], k.PriorStd, x[i]);
        foreach (var (t, xs, x0) in engine.DenoiseCalls)
        {
            for (int i = 0; i < 48; i++) Assert.Equal(x[i] / k.InputStd[t], xs[i], 5);
            for (int i = 0; i < 48; i++) x[i] = k.C1[t] * x[i] + k.C2[t] * x0[i];
            if (t > 0)
            {
                noise.Fill(new NoiseRequest(1, (int)t, 3, 0, 0, 4, 4), eps);
                for (int i = 0; i < 48; i++) x[i] += k.Sigma[(int)t] * eps[i];
            }
        }
    }

    [Fact]
    public async Task NoNoiseAtStepZeroAndFinalLatentIsLastX0()
    {
        var engine = new RecordingEngine();
        var noise = new TableNoise();
        var sampler = new DiffusionSampler(engine, new SamplerConstants(Schedule, 1.0), noise);
        await sampler.SampleAsync(Lq(1, 3), [new TileNoiseOrigin(1, 0, 0)], new float[768], CancellationToken.None);

        Assert.Equal(new[] { 4, 3, 2, 1 }, noise.Steps);
        Assert.Equal(engine.DenoiseCalls[^1].X0, engine.DecodeInputs[0]);
    }

    [Fact]
    public async Task NoiseScaleZeroDrawsNoNoise()
    {
        var noise = new TableNoise();
        var sampler = new DiffusionSampler(new RecordingEngine(), new SamplerConstants(Schedule, 0.0), noise);
        await sampler.SampleAsync(Lq(1, 4), [new TileNoiseOrigin(1, 0, 0)], new float[768], CancellationToken.None);
        Assert.Empty(noise.Steps);
    }

    [Fact]
    public async Task ResultsDoNotDependOnBatchComposition()
    {
        var field = new NoiseField(42);
        var k = new SamplerConstants(Schedule, 1.0);
        float[] lq = Lq(3, 5);
        var origins = new[] { new TileNoiseOrigin(11, 0, 0), new TileNoiseOrigin(11, 0, 3), new TileNoiseOrigin(12, 8, 0) };
        var together = new float[3 * 768];
        await new DiffusionSampler(new RecordingEngine(), k, field).SampleAsync(lq, origins, together, CancellationToken.None);

        for (int i = 2; i >= 0; i--) // reverse order, one at a time
        {
            var alone = new float[768];
            await new DiffusionSampler(new RecordingEngine(), k, field)
                .SampleAsync(lq.AsMemory(i * 48, 48), [origins[i]], alone, CancellationToken.None);
            Assert.Equal(together.AsSpan(i * 768, 768).ToArray(), alone);
        }
    }

    [Fact]
    public async Task BadBatchesAreRefused()
    {
        var sampler = new DiffusionSampler(new RecordingEngine { MaxBatch = 2 }, new SamplerConstants(Schedule, 1), new TableNoise());
        var three = Enumerable.Repeat(new TileNoiseOrigin(1, 0, 0), 3).ToArray();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await sampler.SampleAsync(Lq(3, 1), three, new float[3 * 768], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(async () => await sampler.SampleAsync(Lq(1, 1).AsMemory(0, 40), [three[0]], new float[768], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(async () => await sampler.SampleAsync(Lq(1, 1), [three[0]], new float[700], CancellationToken.None));
    }

    [Fact]
    public async Task CancellationStopsTheLoop()
    {
        var sampler = new DiffusionSampler(new RecordingEngine(), new SamplerConstants(Schedule, 1), new TableNoise());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await sampler.SampleAsync(Lq(1, 1), [new TileNoiseOrigin(1, 0, 0)], new float[768], cts.Token));
    }

    /// <summary>
    /// SinSR's sampler: x_T = z_y + s·prior_std·ε_T, one call at t = T-1 on x_T / input_std[T-1], and its x0 decoded:
    /// no update, no step noise.
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    public async Task OneStepScheduleDecodesTheFirstCallsX0(double noiseScale)
    {
        var schedule = new DiffusionSchedule(new ScheduleParameters(15, 2.0, 0.04, 0.99, 0.3, [14]));
        var engine = new RecordingEngine();
        var noise = new TableNoise();
        var k = new SamplerConstants(schedule, noiseScale);
        float[] lq = Lq(1, 6);
        await new DiffusionSampler(engine, k, noise).SampleAsync(lq, [new TileNoiseOrigin(3, 0, 0)], new float[768], CancellationToken.None);

        Assert.Equal(new long[] { 14 }, engine.DenoiseCalls.Select(c => c.T));
        Assert.Equal(noiseScale == 0 ? [] : new[] { 15 }, noise.Steps); // the prior draw only
        float[] x = engine.EncodeOutputs[0].ToArray();
        var eps = new float[48];
        noise.Fill(new NoiseRequest(3, 15, 3, 0, 0, 4, 4), eps);
        for (int i = 0; i < 48; i++)
        {
            float xt = MathF.FusedMultiplyAdd(eps[i], k.PriorStd, x[i]);
            Assert.Equal(xt / (float)schedule.InputStd[14], engine.DenoiseCalls[0].XScaled[i], 5);
        }
        Assert.Equal(engine.DenoiseCalls[0].X0, engine.DecodeInputs[0]);
    }
}
