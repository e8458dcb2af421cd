using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Files;
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

    [Fact]
    public async Task A_spool_named_through_a_held_folder_descriptor_is_written_committed_assembled_and_removed_in_that_folder_only()
    {
        string input = await _f.CfrAsync("clip.mkv", size: "16x16", seconds: 0.24); // 6 frames: 2 segments of 3
        var engines = new IdentityEngine();
        await using RestorePipeline pipeline = Pipeline(engines);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        string rootPath = Directory.CreateDirectory(_f.PathOf("root")).FullName;
        using RootDirectory root = RootDirectory.Open(rootPath);
        using RootDirectory spools = root.OpenDirectory(".resshift-video");
        Assert.Equal($"/proc/{Environment.ProcessId}/fd/", spools.DescriptorPath[..^spools.DescriptorPath.Split('/')[^1].Length]);
        string spool = Path.Combine(spools.DescriptorPath, "split.resshift-segments");
        string real = Path.Combine(rootPath, ".resshift-video", "split.resshift-segments");
        string output = _f.PathOf("out/clip.mkv");

        var job = new VideoRestoreJob(input, output, "clip", Options) { SpoolPath = spool };
        VideoPlan plan = await job.PlanAsync(pipeline, engines.EngineName, engines.Precision, replace: false, ct);
        Assert.Equal(2, plan.Segments);
        Assert.Equal([0, 1], await job.WritePlanAsync(plan, ct));
        Assert.True(File.Exists(Path.Combine(real, VideoPlan.FileName)), "the plan is not in the folder the descriptor holds");
        Assert.Null(VideoPlan.TryRead(output)); // nothing beside the output
        VideoPlan read = VideoPlan.TryReadIn(spool)!;
        Assert.Equal(plan.Id, read.Id);

        // Each step a fresh job from the plan and the spool (as on another daemon); ffmpeg encodes into the spool by the
        // descriptor's path, and a commit renames its .part there.
        foreach (int i in new[] { 1, 0 })
            Assert.Equal(SegmentRun.Restored, await VideoRestoreJob.FromPlan(read, spoolPath: spool).RestoreSegmentAsync(read, i, pipeline, engines.EngineName, engines.Precision, ct));
        Assert.Equal(["plan.json", "segment-00000.json", "segment-00000.mkv", "segment-00001.json", "segment-00001.mkv"],
            Directory.GetFiles(real).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(await VideoRestoreJob.FromPlan(read, spoolPath: spool).AllCommittedAsync(read, ct));
        Assert.False(Directory.Exists(_f.PathOf("out")), "the spool's steps created the output's folder");

        Assert.NotNull(await VideoRestoreJob.FromPlan(read, spoolPath: spool).AssembleAsync(read, ct));
        Assert.True(VideoRestoreJob.Delivered(read));
        Assert.False(Directory.Exists(real), "the spool was not removed through the descriptor's path");
        Assert.True(Directory.Exists(Path.Combine(rootPath, ".resshift-video")), "removing the spool removed the folder holding it");
        Assert.Equal(["clip.mkv", "clip.mkv.resshift.json"], Directory.GetFileSystemEntries(_f.PathOf("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The one-process run in such a spool: the same bytes, and its spool removed as well.
        string straight = _f.PathOf("straight/clip.mkv");
        string straightSpool = Path.Combine(spools.DescriptorPath, "straight.resshift-segments");
        await new VideoRestoreJob(input, straight, "clip", Options) { SpoolPath = straightSpool }.RunAsync(pipeline, engines.EngineName, engines.Precision, ct);
        Assert.Equal(await File.ReadAllBytesAsync(straight), await File.ReadAllBytesAsync(output));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(rootPath, ".resshift-video")));
        Assert.False(Directory.Exists(SegmentStore.For(straight)));
    }
}
