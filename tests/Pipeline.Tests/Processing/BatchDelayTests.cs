using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Processing;

/// <summary>MaxBatchDelay must hold for the life of the pipeline, not only until its first expiry.</summary>
public class BatchDelayTests
{
    private static readonly DiffusionSchedule Schedule = new(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheDelayStillGathersFullBatchesAfterItHasExpiredTwice()
    {
        var delay = TimeSpan.FromSeconds(1.5);
        var engine = new FakeEngine { MaxBatch = 4 };
        await using var pipeline = new RestorePipeline(engine, Schedule,
            new PipelineOptions { Overlap = 2, MaxBatch = 4, MaxJobsInFlight = 4, MaxBatchDelay = delay });

        // Two lone single-tile jobs: each partial batch waits out the whole delay, then runs alone.
        for (int i = 0; i < 2; i++)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            await pipeline.RunAsync(new MemoryJob($"lone{i}", 6, 5, (ulong)i), CancellationToken.None).WaitAsync(Wait);
            Assert.True(started.Elapsed >= delay * 0.9, $"lone job {i} finished after {started.Elapsed.TotalMilliseconds:F0} ms: its partial batch did not wait the {delay.TotalMilliseconds} ms delay");
        }
        Assert.Equal([1, 1], engine.Batches.ToArray());

        // Four single-tile jobs trickling in well under the delay must share one engine call.
        var tasks = new List<Task<JobReport>>();
        for (int i = 0; i < 4; i++)
        {
            tasks.Add(await pipeline.SubmitAsync(new MemoryJob($"trickle{i}", 6, 5, (ulong)(10 + i)), CancellationToken.None));
            await Task.Delay(40);
        }
        await Task.WhenAll(tasks).WaitAsync(Wait);
        Assert.Equal([1, 1, 4], engine.Batches.ToArray());
    }
}
