using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Backends;
using ResShift.Pipeline.Noise;

namespace ResShift.Daemon.Tests.Restore;

/// <summary>
/// The daemon sends the same sessions batches of changing size (full batches, then partial ones while
/// draining). Every tile must come out exactly as it does alone, whatever came before it.
/// </summary>
public class BatchSizeChangeTests
{
    [Fact]
    public async Task ChangingBatchSizesOnOneEngineSetGiveTheSameTilesAsSingleRuns()
    {
        ModelManifest m = new ModelRegistry(Repo.Engines).Get("tiny-x4");
        using IEngineSet engines = EngineSetFactory.Create(m, EngineKind.Cpu, 4);
        var sampler = new DiffusionSampler(engines, new SamplerConstants(new DiffusionSchedule(m.ScheduleParameters), 1.0), new NoiseField(3));
        ModelGeometry g = engines.Geometry;
        var rng = new Random(11);
        float[][] tiles = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, g.LqElements).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        TileNoiseOrigin Origin(int i) => new((ulong)(40 + i), 0, 0);

        var alone = new float[4][];
        for (int i = 0; i < 4; i++)
        {
            alone[i] = new float[g.ImageElements];
            await sampler.SampleAsync(tiles[i], [Origin(i)], alone[i], CancellationToken.None);
        }
        foreach (int n in new[] { 4, 3, 1, 2, 4, 1, 3 })
        {
            float[] lq = tiles.Take(n).SelectMany(t => t).ToArray();
            var output = new float[n * g.ImageElements];
            await sampler.SampleAsync(lq, Enumerable.Range(0, n).Select(Origin).ToList(), output, CancellationToken.None);
            for (int i = 0; i < n; i++)
            {
                double maxDiff = 0;
                for (int k = 0; k < g.ImageElements; k++) maxDiff = Math.Max(maxDiff, Math.Abs(output[i * g.ImageElements + k] - alone[i][k]));
                Assert.True(maxDiff < 1e-4, $"batch {n}, tile {i}: differs from its single run by {maxDiff}");
            }
        }
    }
}
