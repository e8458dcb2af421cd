using ResShift.Pipeline.Benchmarking;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Benchmarking;

/// <summary>`resshift bench`'s engine-only figure splits a tile's time into encoder, denoiser calls and decoder.</summary>
public class StageSplitTests
{
    [Theory]
    [InlineData(4, null)]            // ResShift v3: four calls
    [InlineData(15, new[] { 14 })]   // SinSR: one call at t = 14 of 15
    public async Task DenoiseIsSplitPerCallOfTheSchedule(int T, int[]? timesteps)
    {
        var schedule = new DiffusionSchedule(new ScheduleParameters(T, 2.0, T == 4 ? 0.2 : 0.04, 0.99, 0.3, timesteps));
        var engine = new RecordingEngine();
        ThroughputBenchmark.Figure f = await ThroughputBenchmark.EngineOnlyAsync(engine, schedule, batch: 1, batches: 2, CancellationToken.None, warmupBatches: 0);
        int calls = timesteps?.Length ?? T;
        Assert.Equal(2 * calls, engine.DenoiseCalls.Count);
        Assert.Equal(["preprocess", "encode_latent", "denoise", "denoise_per_call", "decode_latent"], f.StageMsPerTile.Keys);
        Assert.Equal(f.StageMsPerTile["denoise"] / calls, f.StageMsPerTile["denoise_per_call"], 9);
        Assert.True(f.StageMsPerTile["denoise"] > 0);
    }
}
