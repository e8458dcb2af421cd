using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Processing;

/// <summary>Jobs are admitted by their memory, from the header, so large inputs neither overflow nor pile up.</summary>
public class JobMemoryBudgetTests
{
    private static readonly DiffusionSchedule Schedule = new(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly long JobBytes = JobFootprint.Bytes(new ImageSize(24, 20), 4, 3);

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        using var t = new CancellationTokenSource(Wait);
        while (!condition())
        {
            try { await Task.Delay(10, t.Token); }
            catch (OperationCanceledException) { Assert.Fail($"timed out waiting until {what}"); }
        }
    }

    /// <summary>Three jobs, three slots, the engine held shut: how many get to load at once is the budget's call.</summary>
    [Theory]
    [InlineData(1.5, 1)]
    [InlineData(2.5, 2)]
    [InlineData(10.0, 3)]
    public async Task JobsAreInFlightTogetherOnlyAsFarAsTheirMemoryFitsTheBudget(double budgetInJobs, int expected)
    {
        var engine = new FakeEngine { MaxBatch = 1, Gate = new SemaphoreSlim(0) };
        await using var pipeline = new RestorePipeline(engine, Schedule, new PipelineOptions
        {
            Overlap = 2, MaxBatch = 1, MaxJobsInFlight = 3, MaxJobMemoryBytes = (long)(budgetInJobs * JobBytes),
        });
        var gauge = new ConcurrencyGauge();
        var jobs = Enumerable.Range(0, 3).Select(i => new MemoryJob($"j{i}", 24, 20, (ulong)i) { ReportsSize = true, Gauge = gauge }).ToArray();
        var tasks = new List<Task<JobReport>>();
        foreach (MemoryJob j in jobs) tasks.Add(await pipeline.SubmitAsync(j, CancellationToken.None));

        // Every job gets its slot: memory, not the job count, is what holds some of them back.
        await WaitFor(() => pipeline.InFlightJobs == 3 && gauge.Current == expected, $"3 jobs hold slots and {expected} are loaded (now {pipeline.InFlightJobs}, {gauge.Current})");
        // No sleep for a held-back job to slip through: the gauge's maximum over the whole run (below, after the
        // engine opens and jobs finish one by one) shows whether one ever loaded beyond the budget.
        Assert.Equal(expected, gauge.Current);
        Assert.Equal(expected * JobBytes, pipeline.JobMemoryReserved);

        engine.Gate.Release(10_000);
        await Task.WhenAll(tasks).WaitAsync(Wait);
        Assert.Equal(expected, gauge.Max);
        Assert.All(jobs, j => Assert.NotNull(j.Output));
        Assert.Equal(0, pipeline.JobMemoryReserved);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AJobLargerThanTheWholeBudgetIsRefusedByNameAndThePipelineGoesOn(bool fromHeader)
    {
        long budget = 300 * 1024; // 300.0 KiB; a 24×20 job needs about 314 KiB
        var engine = new FakeEngine();
        await using var pipeline = new RestorePipeline(engine, Schedule, new PipelineOptions { Overlap = 2, MaxJobsInFlight = 1, MaxJobMemoryBytes = budget });
        var big = new MemoryJob("scans/big-scan.png", 24, 20) { ReportsSize = fromHeader };

        var e = await Assert.ThrowsAsync<ImageDecodeException>(() => pipeline.RunAsync(big, CancellationToken.None).WaitAsync(Wait));
        Assert.Equal(ImageDecodeFailure.TooLarge, e.Failure);
        Assert.StartsWith("scans/big-scan.png: image is 24×20", e.Message);
        Assert.Contains("300.0 KiB (307200 bytes, MaxJobMemoryBytes)", e.Message);
        Assert.Contains(JobFootprint.Format(JobBytes), e.Message);
        Assert.Equal(fromHeader ? 0 : 1, big.LoadCalls); // from the header, the pixels are never decoded
        Assert.Equal(0, engine.EncodeCalls);

        var small = new MemoryJob("small", 8, 8, 2);
        await pipeline.RunAsync(small, CancellationToken.None).WaitAsync(Wait);
        Assert.NotNull(small.Output);
        Assert.Equal(0, pipeline.InFlightJobs);
        Assert.Equal(0, pipeline.JobMemoryReserved);
    }

    [Fact]
    public async Task AJobCancelledWhileWaitingForMemoryCompletesAndHoldsNothing()
    {
        var engine = new FakeEngine { MaxBatch = 1, Gate = new SemaphoreSlim(0) };
        await using var pipeline = new RestorePipeline(engine, Schedule,
            new PipelineOptions { Overlap = 2, MaxBatch = 1, MaxJobsInFlight = 2, MaxJobMemoryBytes = (long)(1.5 * JobBytes) });
        var first = new MemoryJob("first", 24, 20) { ReportsSize = true };
        var waiting = new MemoryJob("waiting", 24, 20, 2) { ReportsSize = true };
        using var cancel = new CancellationTokenSource();
        Task<JobReport> a = await pipeline.SubmitAsync(first, CancellationToken.None);
        Task<JobReport> b = await pipeline.SubmitAsync(waiting, cancel.Token);
        await WaitFor(() => pipeline.InFlightJobs == 2 && first.LoadCalls == 1, "both jobs hold a slot");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.WaitAsync(Wait));
        Assert.Equal(0, waiting.LoadCalls);
        Assert.Equal(JobBytes, pipeline.JobMemoryReserved);

        engine.Gate.Release(10_000);
        await a.WaitAsync(Wait);
        Assert.Equal(0, pipeline.JobMemoryReserved);
        Assert.Equal(0, pipeline.InFlightJobs);
    }

    /// <summary>The measured case of issue 16: a 7200×6900 PNG at ×4 gave "Arithmetic operation resulted in an overflow".</summary>
    [Fact]
    public async Task A7200x6900PngIsRefusedFromItsHeaderWithAClearMessage()
    {
        string dir = Directory.CreateTempSubdirectory("resshift-big-").FullName;
        try
        {
            string input = Path.Combine(dir, "big.png");
            BlankPng.Write(input, 7200, 6900);
            await using var pipeline = new RestorePipeline(new FakeEngine(), Schedule, new PipelineOptions { Overlap = 2 });
            var job = new FileRestoreJob(input, Path.Combine(dir, "out.png"), "big.png", "test", 4, new ImageDecoder(), new ImageEncoder());

            var e = await Assert.ThrowsAsync<ImageDecodeException>(() => pipeline.RunAsync(job, CancellationToken.None).WaitAsync(Wait));
            Assert.Equal(ImageDecodeFailure.TooLarge, e.Failure);
            Assert.StartsWith("big.png: image is 7200×6900: ", e.Message);
            Assert.Equal(0, job.InputWidth); // refused from the header: the pixels were never decoded
            Assert.False(File.Exists(Path.Combine(dir, "out.png")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
