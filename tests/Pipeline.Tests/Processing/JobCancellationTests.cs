using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Processing;

/// <summary>Whatever stage a job is cancelled in, its task completes and its slot comes back exactly once.</summary>
public class JobCancellationTests
{
    private static readonly DiffusionSchedule Schedule = new(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <param name="loadHonoursToken">false: the load finishes anyway once started (as a decode that does not
    /// look at the token); true: the load throws as soon as the token fires.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AJobCancelledWhileItLoadsCompletesCancelledAndItsSlotIsReused(bool loadHonoursToken)
    {
        await using var pipeline = new RestorePipeline(new FakeEngine { MaxBatch = 1 }, Schedule,
            new PipelineOptions { Overlap = 2, MaxBatch = 1, MaxJobsInFlight = 1 });
        var loading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var decoded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        var slow = new MemoryJob("slow", 12, 9)
        {
            BeforeLoad = async ct =>
            {
                loading.TrySetResult();
                await (loadHonoursToken ? decoded.Task.WaitAsync(ct) : decoded.Task);
            },
        };
        Task<JobReport> task = await pipeline.SubmitAsync(slow, cancel.Token);
        await loading.Task.WaitAsync(Wait);
        cancel.Cancel();
        decoded.TrySetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Wait));
        Assert.True(task.IsCanceled, $"the job's task is {task.Status}, not Canceled");
        Assert.Null(slow.Output);
        Assert.Equal(0, pipeline.InFlightJobs);

        // With one slot, the next job runs only if the cancelled one gave its slot back.
        var next = new MemoryJob("next", 12, 9, 2);
        await pipeline.RunAsync(next, CancellationToken.None).WaitAsync(Wait);
        Assert.NotNull(next.Output);
        Assert.Equal(0, pipeline.InFlightJobs);
        Assert.Equal(0, pipeline.JobMemoryReserved);
    }

    [Fact]
    public async Task DisposingThePipelineCompletesTheJobsItHeld()
    {
        var engine = new FakeEngine { MaxBatch = 1, Gate = new SemaphoreSlim(0) };
        var pipeline = new RestorePipeline(engine, Schedule, new PipelineOptions { Overlap = 2, MaxBatch = 1, MaxJobsInFlight = 2 });
        var tasks = new List<Task<JobReport>>();
        for (int i = 0; i < 3; i++) tasks.Add(await pipeline.SubmitAsync(new MemoryJob($"j{i}", 20, 20, (ulong)i), CancellationToken.None));
        using (var t = new CancellationTokenSource(Wait))
            while (engine.EncodeCalls == 0) await Task.Delay(10, t.Token); // one tile is in the engine, held at the gate
        await pipeline.DisposeAsync().AsTask().WaitAsync(Wait);
        foreach (Task<JobReport> task in tasks)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Wait));
            Assert.True(task.IsCanceled, $"a job's task is {task.Status} after disposal");
        }
    }
}
