using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Resampling;

namespace ResShift.Pipeline.Diffusion;

/// <summary>
/// The ResShift sampling loop (resshift.md §3) over a batch of padded LQ tiles, all at the same step:
/// y_up = bicubic(y); z_y = E(y_up); x = z_y + s·prior_std·ε_T; for t = T-1..0:
/// x0 = D(x / input_std[t], t, y); x = c1[t]·x + c2[t]·x0 + (t > 0 ? s·σ[t]·ε_t : 0); image = Dec(x).
/// The steps run are the schedule's timesteps (a prefix of T-1..0; SinSR: t = 14 only), the last one's x0 decoded.
/// Thread-safe: each call owns its work buffers.
/// </summary>
public sealed class DiffusionSampler
{
    private readonly IEngineSet _engines;
    private readonly SamplerConstants _k;
    private readonly INoiseSource _noise;
    private readonly BicubicUpsampler _upsampler;

    public DiffusionSampler(IEngineSet engines, SamplerConstants constants, INoiseSource noise)
    {
        _engines = engines;
        _k = constants;
        _noise = noise;
        _upsampler = new BicubicUpsampler(engines.Geometry.Scale);
    }

    public ModelGeometry Geometry => _engines.Geometry;

    /// <param name="lq">N padded LQ tiles, N×C×t×t in [-1, 1].</param>
    /// <param name="origins">Per tile: job key and latent origin, for the noise field.</param>
    /// <param name="output">N decoded tiles, N×C×(t·s)×(t·s), not clamped.</param>
    public async ValueTask<SamplerTimings> SampleAsync(ReadOnlyMemory<float> lq, IReadOnlyList<TileNoiseOrigin> origins,
        Memory<float> output, CancellationToken cancellationToken)
    {
        ModelGeometry g = _engines.Geometry;
        int n = origins.Count;
        if (n < 1 || n > _engines.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(origins), n, $"batch must hold 1..{_engines.MaxBatch} tiles");
        if (lq.Length != n * g.LqElements)
            throw new ArgumentException($"lq holds {lq.Length} floats, {n * g.LqElements} expected for {n} tiles", nameof(lq));
        if (output.Length < n * g.ImageElements)
            throw new ArgumentException($"output holds {output.Length} floats, {n * g.ImageElements} needed", nameof(output));

        int latentCount = n * g.LatentElements;
        float[] upBuffer = ArrayPool<float>.Shared.Rent(n * g.ImageElements);
        float[] xBuffer = ArrayPool<float>.Shared.Rent(latentCount);
        float[] scaledBuffer = ArrayPool<float>.Shared.Rent(latentCount);
        float[] x0Buffer = ArrayPool<float>.Shared.Rent(latentCount);
        var clock = Stopwatch.StartNew();
        try
        {
            Memory<float> up = upBuffer.AsMemory(0, n * g.ImageElements);
            Memory<float> x = xBuffer.AsMemory(0, latentCount);
            Memory<float> scaled = scaledBuffer.AsMemory(0, latentCount);
            Memory<float> x0 = x0Buffer.AsMemory(0, latentCount);

            for (int i = 0; i < n; i++)
                _upsampler.Upsample(lq.Span.Slice(i * g.LqElements, g.LqElements), g.ImageChannels, g.LqTile, g.LqTile,
                    up.Span.Slice(i * g.ImageElements, g.ImageElements));
            TimeSpan preprocess = Lap(clock);

            await _engines.EncodeAsync(up, x, n, cancellationToken).ConfigureAwait(false);
            AddNoise(x.Span, origins, _k.T, _k.PriorStd, scaled.Span);
            TimeSpan encode = Lap(clock);

            int[] steps = _k.Timesteps;
            for (int i = 0; i < steps.Length; i++)
            {
                int t = steps[i];
                cancellationToken.ThrowIfCancellationRequested();
                TensorPrimitives.Divide(x.Span, _k.InputStd[t], scaled.Span);
                await _engines.DenoiseAsync(scaled, t, lq, x0, n, cancellationToken).ConfigureAwait(false);
                if (i < steps.Length - 1)
                {
                    Update(x.Span, x0.Span, _k.C1[t], _k.C2[t]);
                    AddNoise(x.Span, origins, t, _k.Sigma[t], scaled.Span);
                }
                else
                {
                    // The last call's x0 is the result: at t = 0 that is the update itself (c1 = 0, c2 = 1, no noise);
                    // a shortened loop (SinSR: t = 14) returns its pred_xstart, as its reference sampler does.
                    Update(x.Span, x0.Span, 0f, 1f);
                }
            }
            TimeSpan denoise = Lap(clock);

            await _engines.DecodeAsync(x, output[..(n * g.ImageElements)], n, cancellationToken).ConfigureAwait(false);
            TimeSpan decode = Lap(clock);
            return new SamplerTimings(preprocess, encode, denoise, decode);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(upBuffer);
            ArrayPool<float>.Shared.Return(xBuffer);
            ArrayPool<float>.Shared.Return(scaledBuffer);
            ArrayPool<float>.Shared.Return(x0Buffer);
        }
    }

    /// <summary>x = c1·x + c2·x0. With c1 = 0 and c2 = 1 (t = 0, or the last call of a shortened loop) x becomes x0.</summary>
    private static void Update(Span<float> x, ReadOnlySpan<float> x0, float c1, float c2)
    {
        TensorPrimitives.Multiply(x, c1, x);
        TensorPrimitives.MultiplyAdd(x0, c2, x, x);
    }

    /// <summary>x += scale·s_tile·ε(step) tile by tile; <paramref name="scratch"/> holds the drawn noise.</summary>
    private void AddNoise(Span<float> x, IReadOnlyList<TileNoiseOrigin> origins, int step, float baseScale, Span<float> scratch)
    {
        if (baseScale == 0f) return;
        ModelGeometry g = _engines.Geometry;
        int per = g.LatentElements;
        for (int i = 0; i < origins.Count; i++)
        {
            TileNoiseOrigin o = origins[i];
            float scale = baseScale * o.NoiseScale;
            if (scale == 0f) continue;
            Span<float> eps = scratch.Slice(i * per, per);
            _noise.Fill(new NoiseRequest(o.JobKey, step, g.LatentChannels, o.LatentY, o.LatentX, g.LatentTile, g.LatentTile), eps);
            Span<float> xi = x.Slice(i * per, per);
            TensorPrimitives.MultiplyAdd(eps, scale, xi, xi);
        }
    }

    private static TimeSpan Lap(Stopwatch clock)
    {
        TimeSpan elapsed = clock.Elapsed;
        clock.Restart();
        return elapsed;
    }
}
