using System.Numerics.Tensors;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;
using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Tests.Processing;

public class RestorePipelineTests
{
    private static readonly DiffusionSchedule Schedule = new(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));

    /// <summary>Each tile alone through the sampler, clamped, blended by hand: what the pipeline must reproduce bit for bit.</summary>
    private static async Task<float[]> TileByTile(MemoryJob job, PipelineOptions o)
    {
        var engine = new FakeEngine { MaxBatch = 1 };
        JobSettings js = job.Settings;
        var sampler = new DiffusionSampler(engine, new SamplerConstants(Schedule, 1.0), new NoiseField(0));
        ulong key = NoiseField.DeriveJobKey(js.Seed ?? o.Seed, job.NoiseKey);
        float scale = (float)(js.NoiseScale ?? o.NoiseScale);
        var plan = TilePlan.FromOverlap(job.Height, job.Width, 8, js.Overlap ?? o.Overlap);
        var blender = new TileBlender(plan, 4, 3, js.Blend ?? o.Blend);
        float[] image = job.Pixels();
        var lq = new float[192];
        var output = new float[3 * 32 * 32];
        for (int i = 0; i < plan.Tiles.Count; i++)
        {
            TileRect r = plan.Tiles[i];
            TileExtractor.Extract(image, 3, job.Height, job.Width, r, 8, lq);
            await sampler.SampleAsync(lq, [new TileNoiseOrigin(key, r.Y, r.X, scale)], output, CancellationToken.None);
            TensorPrimitives.Max(output, -1f, output); // each tile is clamped before blending, as the reference does
            TensorPrimitives.Min(output, 1f, output);
            blender.Add(i, output, 32);
        }
        var result = new float[3 * job.Width * 4 * job.Height * 4];
        blender.Resolve(result);
        TensorPrimitives.Max(result, -1f, result);
        TensorPrimitives.Min(result, 1f, result);
        TensorPrimitives.Multiply(result, 0.5f, result);
        TensorPrimitives.Add(result, 0.5f, result);
        return result;
    }

    [Fact]
    public async Task ManyJobsBatchedTogetherGiveTheSameBitsAsTileByTile()
    {
        var options = new PipelineOptions { Overlap = 2, Seed = 17, NoiseScale = 1.0, MaxBatch = 4, MaxJobsInFlight = 3 };
        var engine = new FakeEngine { MaxBatch = 4 };
        await using var pipeline = new RestorePipeline(engine, Schedule, options);
        var jobs = new[] { (21, 13), (8, 8), (5, 3), (30, 9), (1, 1), (17, 17) }
            .Select((s, i) => new MemoryJob($"job{i}", s.Item1, s.Item2, (ulong)(100 + i))).ToArray();
        var tasks = new List<Task<JobReport>>();
        foreach (var j in jobs) tasks.Add(await pipeline.SubmitAsync(j, CancellationToken.None));
        JobReport[] reports = await Task.WhenAll(tasks);

        for (int i = 0; i < jobs.Length; i++)
        {
            Assert.Equal(jobs[i].Width * 4, jobs[i].Output!.Width);
            Assert.Equal(jobs[i].Height * 4, jobs[i].Output!.Height);
            float[] expected = await TileByTile(jobs[i], options);
            Assert.Equal(expected, jobs[i].Output!.Pixels.AsSpan(0, expected.Length).ToArray());
            Assert.Equal(TilePlan.FromOverlap(jobs[i].Height, jobs[i].Width, 8, 2).Tiles.Count, reports[i].Tiles);
            Assert.True(reports[i].StageSeconds.ContainsKey("denoise"));
        }
        int totalTiles = reports.Sum(r => r.Tiles);
        Assert.True(engine.EncodeCalls < totalTiles, $"{engine.EncodeCalls} engine calls for {totalTiles} tiles: no batching");
        Assert.Equal(4, engine.MaxBatchSeen);
    }

    [Fact]
    public async Task JobsWithDifferentSettingsShareAPipelineAndKeepTheirOwnResults()
    {
        var options = new PipelineOptions { Overlap = 2, Seed = 3, MaxBatch = 4 };
        await using var pipeline = new RestorePipeline(new FakeEngine { MaxBatch = 4 }, Schedule, options);
        var jobs = new[]
        {
            new MemoryJob("a", 20, 11, 5),
            new MemoryJob("b", 20, 11, 5) { Settings = new JobSettings { NoiseScale = 0 } },
            new MemoryJob("c", 20, 11, 5) { Settings = new JobSettings { Seed = 99, Blend = BlendMode.Average, Overlap = 4 } },
            new MemoryJob("d", 20, 11, 5) { Settings = new JobSettings { NoiseScale = 0.5 } },
        };
        var tasks = new List<Task<JobReport>>();
        foreach (var j in jobs) tasks.Add(await pipeline.SubmitAsync(j, CancellationToken.None));
        await Task.WhenAll(tasks);
        foreach (var j in jobs)
        {
            float[] expected = await TileByTile(j, options);
            Assert.Equal(expected, j.Output!.Pixels.AsSpan(0, expected.Length).ToArray());
        }
        Assert.NotEqual(jobs[0].Output!.Pixels, jobs[1].Output!.Pixels);
        Assert.NotEqual(jobs[0].Output!.Pixels, jobs[2].Output!.Pixels);
        Assert.NotEqual(jobs[1].Output!.Pixels, jobs[3].Output!.Pixels);
    }

    [Fact]
    public async Task SingleTileJobsAreBatchedAcrossJobs()
    {
        var engine = new FakeEngine { MaxBatch = 8, Gate = new SemaphoreSlim(0) };
        await using var pipeline = new RestorePipeline(engine, Schedule,
            new PipelineOptions { Overlap = 2, MaxBatch = 8, MaxJobsInFlight = 8, MaxBatchDelay = TimeSpan.FromMilliseconds(200) });
        var tasks = new List<Task<JobReport>>();
        for (int i = 0; i < 8; i++) tasks.Add(await pipeline.SubmitAsync(new MemoryJob($"j{i}", 6, 5, (ulong)i), CancellationToken.None));
        engine.Gate.Release(100);
        await Task.WhenAll(tasks);
        Assert.True(engine.MaxBatchSeen > 1, "tiles of different jobs never shared an engine call");
    }

    [Fact]
    public async Task AFailingLoadFailsOnlyThatJob()
    {
        await using var pipeline = new RestorePipeline(new FakeEngine(), Schedule, new PipelineOptions { Overlap = 2 });
        var bad = new MemoryJob("bad", 10, 10) { LoadError = new InvalidDataException("corrupt input") };
        var good = new MemoryJob("good", 10, 10);
        Task<JobReport> b = await pipeline.SubmitAsync(bad, CancellationToken.None);
        Task<JobReport> g = await pipeline.SubmitAsync(good, CancellationToken.None);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => b);
        Assert.Equal("corrupt input", e.Message);
        await g;
        Assert.NotNull(good.Output);
    }

    [Fact]
    public async Task AnEngineFailureFailsItsBatchAndThePipelineGoesOn()
    {
        int calls = 0;
        var engine = new FakeEngine { MaxBatch = 1, FailNext = () => Interlocked.Increment(ref calls) == 1 };
        await using var pipeline = new RestorePipeline(engine, Schedule, new PipelineOptions { Overlap = 2, MaxBatch = 1, MaxJobsInFlight = 1 });
        var first = new MemoryJob("first", 4, 4);
        await Assert.ThrowsAsync<EngineFailureException>(() => pipeline.RunAsync(first, CancellationToken.None));
        var second = new MemoryJob("second", 4, 4);
        await pipeline.RunAsync(second, CancellationToken.None);
        Assert.NotNull(second.Output);
        Assert.Null(first.Output);
    }

    [Fact]
    public async Task IntakeIsBoundedAndSubmitWaits()
    {
        var engine = new FakeEngine { MaxBatch = 1, Gate = new SemaphoreSlim(0) };
        await using var pipeline = new RestorePipeline(engine, Schedule,
            new PipelineOptions { Overlap = 2, MaxBatch = 1, MaxJobsInFlight = 1, IntakeCapacity = 2 });
        var accepted = new List<Task<JobReport>>();
        // One job in the engine, one being tiled (blocked on the full tile queue or its slot), two in intake.
        ValueTask<Task<JobReport>> pending = default;
        int submitted = 0;
        for (; submitted < 20; submitted++)
        {
            pending = pipeline.SubmitAsync(new MemoryJob($"j{submitted}", 4, 4, (ulong)submitted), CancellationToken.None);
            await Task.Delay(20);
            if (!pending.IsCompleted) break;
            accepted.Add(await pending);
        }
        Assert.True(submitted < 20, "submit never waited: the intake is not bounded");
        Assert.InRange(pipeline.IntakeDepth, 1, 3);
        engine.Gate.Release(1000);
        accepted.Add(await pending);
        await Task.WhenAll(accepted);
    }

    [Fact]
    public async Task CancellingAJobFailsItWithoutHarmingOthers()
    {
        var engine = new FakeEngine { MaxBatch = 1, Gate = new SemaphoreSlim(0) };
        await using var pipeline = new RestorePipeline(engine, Schedule, new PipelineOptions { MaxBatch = 1, MaxJobsInFlight = 2, Overlap = 0 });
        using var cts = new CancellationTokenSource();
        Task<JobReport> big = await pipeline.SubmitAsync(new MemoryJob("big", 64, 64), cts.Token);
        Task<JobReport> small = await pipeline.SubmitAsync(new MemoryJob("small", 8, 8, 2), CancellationToken.None);
        await Task.Delay(50);
        cts.Cancel();
        engine.Gate.Release(1000);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => big);
        await small;
        Assert.Equal(0, pipeline.InFlightJobs);
    }

    [Fact]
    public async Task CompleteIntakeDrainsEverything()
    {
        var pipeline = new RestorePipeline(new FakeEngine(), Schedule, new PipelineOptions { Overlap = 2 });
        var tasks = new List<Task<JobReport>>();
        for (int i = 0; i < 5; i++) tasks.Add(await pipeline.SubmitAsync(new MemoryJob($"j{i}", 12, 9, (ulong)i), CancellationToken.None));
        pipeline.CompleteIntake();
        await pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully));
        await pipeline.DisposeAsync();
    }

    [Fact]
    public void InvalidOptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new RestorePipeline(new FakeEngine(), Schedule, new PipelineOptions { Overlap = 8 }));
        Assert.Throws<ArgumentException>(() => new RestorePipeline(new FakeEngine(), Schedule, new PipelineOptions { NoiseScale = 2 }));
    }
}
