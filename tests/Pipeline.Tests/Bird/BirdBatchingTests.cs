using ResShift.Engines.Abstractions;
using ResShift.Engines.OnnxRuntime;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace ResShift.Pipeline.Tests.Bird;

/// <summary>Concurrent BIRD jobs share engine batches and still get exactly the result they get alone; resume is exact.</summary>
public sealed class BirdBatchingTests(ITestOutputHelper output)
{
    private static async Task<float[]> RunAlone(BirdParityData data, BirdTask task, int iterations)
    {
        using var engine = BirdEngine.Open(data.Manifest);
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
        const int n = 4;
        float[] soloDeblur = await RunAlone(data, BirdTask.Deblur, n);
        float[] soloSr = await RunAlone(data, BirdTask.Sr8, n);

        using var engine = BirdEngine.Open(data.Manifest);
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

    private static async Task<float[]> RunResShift(Task? alongside = null)
    {
        ModelManifest m = new ModelRegistry(Path.Combine(TestData.RepositoryRoot(), "engines")).Get("tiny-x4");
        using IEngineSet engines = new OnnxRuntimeEngineSet(m.PathOf("encoder"), m.PathOf("denoiser"), m.PathOf("decoder"), m.Geometry, 4,
            new OnnxRuntimeEngineOptions { Session = new OrtSessionSettings { IntraOpThreads = 2 } });
        await using var pipeline = new RestorePipeline(engines, new DiffusionSchedule(m.ScheduleParameters),
            new PipelineOptions { MaxBatch = 4, Overlap = 16, Seed = 7 });
        var job = new MemoryJob("resshift", 96, 80, key: 3);
        Task<JobReport> done = await pipeline.SubmitAsync(job, CancellationToken.None);
        await Task.WhenAll(done, alongside ?? Task.CompletedTask);
        return job.Output!.Pixels;
    }

    [Fact]
    public async Task Two_bird_jobs_and_a_resshift_job_at_once_give_each_ones_solo_bits()
    {
        var data = BirdParityData.Load();
        const int n = 3;
        float[] soloDeblur = await RunAlone(data, BirdTask.Deblur, n);
        float[] soloInpaint = await RunAlone(data, BirdTask.Inpaint, n);
        float[] soloResShift = await RunResShift();

        using var engine = BirdEngine.Open(data.Manifest);
        await using var batcher = new UNetBatcher(engine, 4, TimeSpan.FromMilliseconds(20));
        BirdInversion a = data.Job(BirdTask.Deblur), b = data.Job(BirdTask.Inpaint);
        async Task Loop(BirdInversion j) { for (int i = 0; i < n; i++) await j.IterateAsync(batcher, CancellationToken.None); }
        Task birds = Task.WhenAll(Task.Run(() => Loop(a)), Task.Run(() => Loop(b)));
        float[] mixedResShift = await RunResShift(birds);
        Assert.Equal(soloDeblur, (float[])[.. a.X0, .. a.Z]);
        Assert.Equal(soloInpaint, (float[])[.. b.X0, .. b.Z]);
        Assert.Equal(soloResShift, mixedResShift);
        output.WriteLine($"BIRD: {batcher.Counts.Calls} calls in {batcher.Counts.Batches} batches alongside a 96×80 ResShift job");
    }

    [Fact]
    public async Task Restoring_a_checkpoint_continues_exactly()
    {
        var data = BirdParityData.Load();
        using var engine = BirdEngine.Open(data.Manifest);
        await using var batcher = new UNetBatcher(engine, 1, TimeSpan.Zero);
        BirdInversion straight = data.Job(BirdTask.Deblur);
        for (int i = 0; i < 8; i++) await straight.IterateAsync(batcher, CancellationToken.None);

        BirdInversion first = data.Job(BirdTask.Deblur);
        var losses = new List<double>();
        for (int i = 0; i < 5; i++) losses.Add(await first.IterateAsync(batcher, CancellationToken.None));
        string path = Path.Combine(Path.GetTempPath(), $"bird-ckpt-{Guid.NewGuid():N}");
        try
        {
            await (first.Snapshot() with { JobKey = 42, TotalIterations = 8, Losses = [.. losses] }).SaveAsync(path, CancellationToken.None);
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
