using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Segments;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>
/// Plan / restore segment / assemble as separate steps (what daemons sharing a storage folder run): the same bytes
/// as one uninterrupted run whatever order the segments come in, each step idempotent, one engine class per video,
/// and an output that is not ours never replaced.
/// </summary>
public sealed class DistributedStepsTests : IDisposable
{
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    private static readonly VideoJobOptions Options = new() { SegmentFrames = 3, Encoder = new EncoderSettings { Codec = VideoCodec.Ffv1 } };

    private static RestorePipeline Pipeline(IdentityEngine engines) =>
        new(engines, new DiffusionSchedule(VideoRun.Schedule), new PipelineOptions { MaxBatch = 4, Overlap = 4 });

    [Fact]
    public async Task Segments_restored_out_of_order_by_separate_jobs_assemble_to_the_bytes_of_one_run()
    {
        string input = await _f.VfrAsync(); // VFR: the assembly retimes, as the one-process run does
        VideoJobOptions options = Options with { SegmentFrames = 6 }; // 25 frames: 6, 6, 6, 6, 1
        var engines = new IdentityEngine();
        await using RestorePipeline pipeline = Pipeline(engines);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;

        string straight = _f.PathOf("straight/clip.mkv");
        await new VideoRestoreJob(input, straight, "clip", options).RunAsync(pipeline, engines.EngineName, engines.Precision, ct);

        string output = _f.PathOf("split/clip.mkv");
        VideoPlan plan = await new VideoRestoreJob(input, output, "clip", options).PlanAsync(pipeline, engines.EngineName, engines.Precision, replace: false, ct);
        Assert.Equal((25L, 5), (plan.Frames, plan.Segments));
        IReadOnlyList<int> pending = await new VideoRestoreJob(input, output, "clip", options).WritePlanAsync(plan, ct);
        Assert.Equal(Enumerable.Range(0, plan.Segments), pending);
        VideoPlan read = VideoPlan.TryRead(output)!;
        Assert.Equal(plan.Id, read.Id);
        Assert.Equal(VideoCodec.Ffv1, read.Options.Encoder.Codec);

        // Each step from the plan alone (a fresh job per step, as on another machine), last segment first.
        foreach (int i in Enumerable.Range(0, plan.Segments).Reverse())
        {
            Assert.False(await VideoRestoreJob.FromPlan(read).AllCommittedAsync(read, ct));
            Assert.Equal(SegmentRun.Restored, await VideoRestoreJob.FromPlan(read).RestoreSegmentAsync(read, i, pipeline, engines.EngineName, engines.Precision, ct));
        }
        Assert.Equal(SegmentRun.AlreadyCommitted, await VideoRestoreJob.FromPlan(read).RestoreSegmentAsync(read, 0, pipeline, engines.EngineName, engines.Precision, ct));
        Assert.True(await VideoRestoreJob.FromPlan(read).AllCommittedAsync(read, ct));
        Assert.Empty(await VideoRestoreJob.FromPlan(read).WritePlanAsync(read, ct)); // a re-plan finds every segment committed

        VideoResult? result = await VideoRestoreJob.FromPlan(read).AssembleAsync(read, ct);
        Assert.NotNull(result);
        Assert.Equal(await File.ReadAllBytesAsync(straight), await File.ReadAllBytesAsync(output));
        Assert.False(Directory.Exists(SegmentStore.For(output)), "the spool was not removed");
        Assert.True(VideoRestoreJob.Delivered(read));

        // A second assembler (a redelivered segment message) finds the delivery and changes nothing.
        DateTime delivered = File.GetLastWriteTimeUtc(output);
        Assert.Null(await VideoRestoreJob.FromPlan(read).AssembleAsync(read, ct));
        Assert.Equal(delivered, File.GetLastWriteTimeUtc(output));
    }

    [Fact]
    public async Task A_worker_of_another_engine_class_refuses_and_assembly_waits_for_every_segment()
    {
        string input = await _f.CfrAsync("clip.mkv", size: "16x16", seconds: 0.4); // 10 frames: 4 segments of 3
        var engines = new IdentityEngine();
        await using RestorePipeline pipeline = Pipeline(engines);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        string output = _f.PathOf("out/clip.mkv");
        var job = new VideoRestoreJob(input, output, "clip", Options);
        VideoPlan plan = await job.PlanAsync(pipeline, engines.EngineName, engines.Precision, replace: false, ct);
        await job.WritePlanAsync(plan, ct);

        var e = await Assert.ThrowsAsync<EngineClassMismatchException>(() => job.RestoreSegmentAsync(plan, 0, pipeline, engines.EngineName, "fp16", ct));
        Assert.Contains("pinned to identity fp32", e.Message);
        Assert.False(File.Exists(Path.Combine(SegmentStore.For(output), "segment-00000.json")));

        Assert.Equal(SegmentRun.Restored, await job.RestoreSegmentAsync(plan, 0, pipeline, engines.EngineName, engines.Precision, ct));
        Assert.False(await job.AllCommittedAsync(plan, ct));
        var missing = await Assert.ThrowsAsync<VideoException>(() => job.AssembleAsync(plan, ct));
        Assert.Contains("segment 1 is not committed", missing.Message);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Assembly_never_replaces_an_output_that_is_not_ours()
    {
        string input = await _f.CfrAsync("clip.mkv", size: "16x16", seconds: 0.24); // 6 frames: 2 segments of 3
        var engines = new IdentityEngine();
        await using RestorePipeline pipeline = Pipeline(engines);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        string output = _f.PathOf("out/clip.mkv");
        var job = new VideoRestoreJob(input, output, "clip", Options);
        VideoPlan plan = await job.PlanAsync(pipeline, engines.EngineName, engines.Precision, replace: true, ct);
        await job.WritePlanAsync(plan, ct);
        foreach (int i in Enumerable.Range(0, plan.Segments)) await job.RestoreSegmentAsync(plan, i, pipeline, engines.EngineName, engines.Precision, ct);
        await File.WriteAllTextAsync(output, "a user's file", ct);

        var e = await Assert.ThrowsAsync<VideoException>(() => job.AssembleAsync(plan, ct));
        Assert.Contains("not replaced", e.Message);
        Assert.Equal("a user's file", await File.ReadAllTextAsync(output, ct));
        Assert.False(File.Exists(output + ".resshift.json"));
        Assert.True(await job.AllCommittedAsync(plan, ct), "a refused delivery must keep the committed segments");
    }
}
