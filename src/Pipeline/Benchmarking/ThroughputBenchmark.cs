using System.Diagnostics;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Benchmarking;

/// <summary>Tiles per second through the bare sampler (engine only) and through the whole pipeline.</summary>
public static class ThroughputBenchmark
{
    public sealed record Figure(string Name, int Tiles, double Seconds, int OutputTileSide, Dictionary<string, double> StageMsPerTile)
    {
        public double TilesPerSecond => Tiles / Seconds;
        public double OutputMegapixelsPerSecond => TilesPerSecond * OutputTileSide * OutputTileSide / 1e6;
    }

    /// <summary>
    /// Two by default: ONNX Runtime records its memory pattern on the first run and first touches the planned
    /// block on the second, so only the third run onwards is steady state (the full-width model's second run
    /// is 0.4-0.7 s slower per tile).
    /// </summary>
    public const int DefaultWarmupBatches = 2;

    /// <summary>
    /// Batches of random tiles straight through the sampler: the engine's own speed. With
    /// <paramref name="concurrency"/> &gt; 1 that many batches are in flight at once (as many sampler loops as the
    /// pipeline runs for an engine with that many slots); stage times are then summed over overlapping calls.
    /// Stages per tile: encoder (encode_latent), all denoiser calls (denoise, and denoise_per_call), decoder (decode_latent).
    /// </summary>
    public static async Task<Figure> EngineOnlyAsync(IEngineSet engines, DiffusionSchedule schedule, int batch, int batches, CancellationToken ct,
        int warmupBatches = DefaultWarmupBatches, int concurrency = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupBatches);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ModelGeometry g = engines.Geometry;
        var sampler = new DiffusionSampler(engines, new SamplerConstants(schedule, 1.0), new NoiseField(1));
        var rng = new Random(7);
        float[] lq = Enumerable.Range(0, batch * g.LqElements).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[][] outputs = Enumerable.Range(0, concurrency).Select(_ => new float[batch * g.ImageElements]).ToArray();
        var origins = Enumerable.Range(0, batch).Select(i => new TileNoiseOrigin(1, 0, i * g.LatentTile)).ToArray();
        for (int i = 0; i < warmupBatches; i++)
            await sampler.SampleAsync(lq, origins, outputs[0], ct); // first-run allocations, memory pattern and JIT
        SamplerTimings total = default;
        object gate = new();
        int next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= batches)
            {
                SamplerTimings t = await sampler.SampleAsync(lq, origins, outputs[w], ct);
                lock (gate) total += t;
            }
        }, ct)));
        clock.Stop();
        int tiles = batch * batches;
        return new Figure("engine_only", tiles, clock.Elapsed.TotalSeconds, g.ImageTile, new()
        {
            ["preprocess"] = total.Preprocess.TotalMilliseconds / tiles,
            ["encode_latent"] = total.EncodeLatent.TotalMilliseconds / tiles,
            ["denoise"] = total.Denoise.TotalMilliseconds / tiles,
            // one denoiser call: the stage divided by the schedule's calls (ResShift v3 4, SinSR 1)
            ["denoise_per_call"] = total.Denoise.TotalMilliseconds / tiles / schedule.Timesteps.Length,
            ["decode_latent"] = total.DecodeLatent.TotalMilliseconds / tiles,
        });
    }

    /// <summary>
    /// <paramref name="jobs"/> in-memory jobs of <paramref name="tilesPerSide"/>² tiles each through the
    /// full pipeline (decode and write are free here), all in flight together.
    /// </summary>
    public static async Task<Figure> PipelineAsync(string name, IEngineSet engines, DiffusionSchedule schedule, PipelineOptions options,
        int jobs, int tilesPerSide, CancellationToken ct)
    {
        ModelGeometry g = engines.Geometry;
        int stride = g.LqTile - options.Overlap;
        int side = g.LqTile + (tilesPerSide - 1) * stride;
        await using var pipeline = new RestorePipeline(engines, schedule, options);
        await pipeline.RunAsync(new SyntheticJob(-1, g.LqTile, g.LqTile), ct); // warm-up
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task<JobReport>>();
        for (int i = 0; i < jobs; i++) tasks.Add(await pipeline.SubmitAsync(new SyntheticJob(i, side, side), ct));
        JobReport[] reports = await Task.WhenAll(tasks);
        clock.Stop();
        int tiles = reports.Sum(r => r.Tiles);
        var stages = reports.SelectMany(r => r.StageSeconds).GroupBy(kv => kv.Key)
            .ToDictionary(grp => grp.Key, grp => grp.Sum(kv => kv.Value) * 1000 / tiles);
        return new Figure(name, tiles, clock.Elapsed.TotalSeconds, g.ImageTile, stages);
    }
}
