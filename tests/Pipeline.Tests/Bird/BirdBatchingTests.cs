using ResShift.Pipeline.Bird;
using Xunit.Abstractions;

namespace ResShift.Pipeline.Tests.Bird;

/// <summary>Concurrent BIRD jobs share engine batches and still get exactly the result they get alone; resume is exact.</summary>
public sealed class BirdBatchingTests(ITestOutputHelper output)
{
    private static async Task<float[]> RunAlone(BirdParityData data, BirdTask task, int iterations)
    {
        using var engine = new OrtUNetEngine(data.Manifest);
        await using var batcher = new UNetBatcher(engine, 4, TimeSpan.FromMilliseconds(5));
        BirdInversion job = data.Job(task);
        for (int i = 0; i < iterations; i++) await job.IterateAsync(batcher, CancellationToken.None);
        Assert.Equal((iterations * 10L, iterations * 10L), batcher.Counts); // alone: every call is a batch of one
        return [.. job.X0, .. job.Z];
    }

    [Fact]
    public async Task Two_concurrent_jobs_share_batches_and_match_their_solo_results_bit_for_bit()
    {
        var data = BirdParityData.Load();
        const int n = 6;
        float[] soloDeblur = await RunAlone(data, BirdTask.Deblur, n);
        float[] soloSr = await RunAlone(data, BirdTask.Sr8, n);

        using var engine = new OrtUNetEngine(data.Manifest);
        await using var batcher = new UNetBatcher(engine, 4, TimeSpan.FromMilliseconds(50));
        BirdInversion a = data.Job(BirdTask.Deblur), b = data.Job(BirdTask.Sr8);
        async Task Loop(BirdInversion j) { for (int i = 0; i < n; i++) await j.IterateAsync(batcher, CancellationToken.None); }
        await Task.WhenAll(Task.Run(() => Loop(a)), Task.Run(() => Loop(b)));
        var (calls, batches) = batcher.Counts;
        output.WriteLine($"{calls} UNet calls in {batches} engine batches");
        Assert.Equal(2 * n * 10, calls);
        Assert.True(batches < calls, $"the jobs never shared a batch ({batches} batches for {calls} calls)");
        Assert.Equal(soloDeblur, (float[])[.. a.X0, .. a.Z]);
        Assert.Equal(soloSr, (float[])[.. b.X0, .. b.Z]);
    }

    [Fact]
    public async Task Restoring_a_checkpoint_continues_exactly()
    {
        var data = BirdParityData.Load();
        using var engine = new OrtUNetEngine(data.Manifest);
        await using var batcher = new UNetBatcher(engine, 1, TimeSpan.Zero);
        BirdInversion straight = data.Job(BirdTask.Deblur);
        for (int i = 0; i < 8; i++) await straight.IterateAsync(batcher, CancellationToken.None);

        BirdInversion first = data.Job(BirdTask.Deblur);
        for (int i = 0; i < 5; i++) await first.IterateAsync(batcher, CancellationToken.None);
        string path = Path.Combine(Path.GetTempPath(), $"bird-ckpt-{Guid.NewGuid():N}");
        try
        {
            await (first.Snapshot() with { JobKey = 42, TotalIterations = 8 }).SaveAsync(path, CancellationToken.None);
            BirdCheckpoint c = BirdCheckpoint.TryLoad(path)!;
            Assert.Equal((42UL, 8, 5), (c.JobKey, c.TotalIterations, c.Iteration));
            BirdInversion resumed = data.Job(BirdTask.Deblur);
            resumed.Restore(c);
            for (int i = 0; i < 3; i++) await resumed.IterateAsync(batcher, CancellationToken.None);
            Assert.Equal(straight.X0, resumed.X0);
            Assert.Equal(straight.Z, resumed.Z);
            Assert.Equal(straight.KernelNet!.Parameters, resumed.KernelNet!.Parameters);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
