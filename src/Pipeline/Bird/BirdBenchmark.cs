using ResShift.Engines.Abstractions;
using System.Diagnostics;
using ResShift.Pipeline.Models;

namespace ResShift.Pipeline.Bird;

/// <summary>UNet calls per second of BIRD jobs through the shared batcher: one job alone, then several at once.</summary>
public static class BirdBenchmark
{
    public sealed record Figure(int Jobs, int MaxBatch, long Calls, long Batches, double Seconds)
    {
        public double CallsPerSecond => Calls / Seconds;
    }

    /// <summary>Runs <paramref name="jobs"/> denoising jobs of <paramref name="iterations"/> iterations each at once.</summary>
    public static async Task<Figure> RunAsync(IBatchedGraph unet, ModelManifest m, int jobs, int maxBatch, int iterations, CancellationToken ct)
    {
        int r = m.Bird!.Image, d = 3 * r * r;
        DdimStep[] steps = DdimSteps.From(m.Bird);
        await using var batcher = new UNetBatcher(unet, maxBatch, TimeSpan.FromMilliseconds(2));
        var inversions = Enumerable.Range(0, jobs).Select(j =>
        {
            float[] z = new float[d], y = new float[d];
            new Noise.NoiseField((ulong)j).Fill(new Noise.NoiseRequest(1, 0, 3, 0, 0, r, r), z);
            return new BirdInversion(BirdTaskSettings.For(BirdTask.Denoise), steps, z, y, new IdentityDegradation(d));
        }).ToList();
        // One unmeasured iteration each: session warm-up.
        await Task.WhenAll(inversions.Select(i => Task.Run(() => i.IterateAsync(batcher, ct).AsTask(), ct)));
        var (c0, b0) = batcher.Counts;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(inversions.Select(i => Task.Run(async () => { for (int k = 0; k < iterations; k++) await i.IterateAsync(batcher, ct); }, ct)));
        double s = sw.Elapsed.TotalSeconds;
        var (c1, b1) = batcher.Counts;
        return new Figure(jobs, maxBatch, c1 - c0, b1 - b0, s);
    }
}
