using System.Diagnostics;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Segments;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// Restores one video file: probe and decide, decode frames in order, restore each frame as a pipeline job
/// (its tiles batch with every other job's), encode segment by segment (each committed with a record, so a
/// killed job resumes at its first uncommitted segment), join, put the source's VFR timestamps back, and mux
/// every other stream of the original in without re-encoding. The output appears atomically, with a
/// provenance sidecar; on a bad input nothing is left behind but the original.
/// <para>
/// The same work also comes as three steps that separate processes (on machines sharing the storage) can run:
/// <see cref="PlanAsync"/> (probe, decide, encoder plan, segments, input digest; a <see cref="VideoPlan"/> in the
/// spool), <see cref="RestoreSegmentAsync"/> (one segment: decode from the start, drop the frames before its
/// range, restore and encode its frames, commit) and <see cref="AssembleAsync"/> (verify every record, join,
/// retime, mux, check, deliver). Every step re-derives the decisions from the input and checks them against the
/// plan, so a segment restored anywhere is the segment the one-process run would have made.
/// </para>
/// The work itself is done by <see cref="VideoPreparer"/> (probe and decide), <see cref="VideoPlanner"/> (the plan and
/// who may replace it), <see cref="SegmentRestorer"/> (frames to
/// committed segments) and <see cref="VideoAssembler"/> (join, mux, deliver); this type holds the job and its entry points.
/// </summary>
public sealed class VideoRestoreJob
{
    private readonly FfmpegTools _tools;
    private readonly VideoPreparer _preparer;
    private readonly SegmentRestorer _restorer;
    private readonly VideoAssembler _assembler;
    private readonly VideoPlanner _planner;

    public VideoRestoreJob(string inputPath, string outputPath, string name, VideoJobOptions options, FfmpegTools? tools = null)
    {
        _tools = tools ?? FfmpegTools.Default;
        InputPath = ReadPath = inputPath;
        OutputPath = outputPath;
        Name = name;
        Options = options;
        SpoolPath = SegmentStore.For(outputPath);
        _preparer = new VideoPreparer(this, _tools);
        _restorer = new SegmentRestorer(this, _preparer, _tools);
        _assembler = new VideoAssembler(this, _preparer, _tools);
        _planner = new VideoPlanner(this, _preparer);
    }

    public string InputPath { get; }

    /// <summary>
    /// What ffmpeg and ffprobe open: the input itself, or a descriptor the caller holds (<c>/proc/PID/fd/N</c>,
    /// opened through a root's handle) so that no path is followed after the checks. A plan records
    /// <see cref="InputPath"/>, the name every daemon resolves for itself.
    /// </summary>
    public string ReadPath { get; init; }

    /// <summary>
    /// Puts an output and its sidecar in place; null = by path at <see cref="OutputPath"/>. The daemon's queue passes
    /// one that resolves the output inside its root at that moment and renames through the root's handle.
    /// </summary>
    public DeliverOutput? Deliver { get; init; }
    public string OutputPath { get; }
    public string Name { get; }
    public VideoJobOptions Options { get; }
    public VideoProgress Progress { get; init; } = new();

    /// <summary>
    /// The largest frame (width × height) this job restores; a larger video is refused from its probe, before a frame
    /// is decoded. The daemon passes its <c>MaxPixels</c>, the limit its images have.
    /// </summary>
    public long MaxPixels { get; init; } = new Imaging.ImageDecoderOptions().MaxPixels;

    /// <summary>
    /// The folder of this job's segments, plan and working files; by default <see cref="SegmentStore.For"/> beside the
    /// output (the CLI, and the watch roots whose output is already in their spool). The daemon's queue passes a
    /// folder in its root's daemon-owned spool named through the descriptor it holds (<c>/proc/PID/fd/N/NAME</c>),
    /// so that no folder on the output's way is walked, and a folder swapped for a link cannot redirect the spool.
    /// </summary>
    public string SpoolPath { get; init; }

    /// <summary>
    /// The spool's handle when the daemon opened it (<see cref="SpoolFolder"/>; <see cref="SpoolPath"/> is then its
    /// descriptor): records are read and the spool removed through it, never through a link.
    /// </summary>
    public SpoolFolder? Spool { get; init; }

    /// <summary>The provenance sidecar beside the output.</summary>
    public string SidecarPath => OutputPath + ".resshift.json";

    /// <summary>A job for a plan: the planner's input, output, name and options, never this process's own.</summary>
    /// <param name="spoolPath">Where the plan was read from; null = beside the plan's output.</param>
    public static VideoRestoreJob FromPlan(VideoPlan plan, FfmpegTools? tools = null, string? readPath = null, DeliverOutput? deliver = null, string? spoolPath = null, SpoolFolder? spool = null) =>
        new(plan.InputPath, plan.OutputPath, plan.Name, plan.Options, tools)
        {
            ReadPath = readPath ?? plan.InputPath, Deliver = deliver, SpoolPath = spool?.Path ?? spoolPath ?? SegmentStore.For(plan.OutputPath), Spool = spool,
        };

    private SegmentStore Store() => new(SpoolPath, _tools) { Folder = Spool };

    /// <summary>The one-process run: every uncommitted segment restored here, then joined, muxed and delivered.</summary>
    /// <param name="engine">The engine class (name) and precision of the pipeline: a job is pinned to one.</param>
    public async Task<VideoResult> RunAsync(RestorePipeline pipeline, string engine, string precision, CancellationToken cancellationToken)
    {
        VideoMetrics.Enter();
        LiveVideos.Add(this);
        long started = Stopwatch.GetTimestamp();
        var store = Store();
        bool keepSpool = false;
        try
        {
            VideoResult result = await RunCoreAsync(pipeline, engine, precision, store, cancellationToken).ConfigureAwait(false);
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            VideoMetrics.JobDuration.Record(seconds);
            return result with { Seconds = seconds };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            keepSpool = true; // drained or shut down: the committed segments are the resume point
            throw;
        }
        catch (EngineClassMismatchException e)
        {
            keepSpool = true; // another engine class's segments: never mixed, never silently dropped
            throw new VideoException(Name, e.Message, e);
        }
        catch (Exception e) when (VideoFailures.Map(Name, e) is { } mapped)
        {
            throw mapped;
        }
        finally
        {
            VideoMetrics.Exit();
            LiveVideos.Remove(this);
            if (!keepSpool) store.Delete();
        }
    }

    private async Task<VideoResult> RunCoreAsync(RestorePipeline pipeline, string engine, string precision, SegmentStore store, CancellationToken cancellationToken)
    {
        PreparedVideo p = await _preparer.PrepareAsync(pipeline.Geometry.Scale, pipeline.Geometry.LqTile, null, cancellationToken).ConfigureAwait(false);
        Progress.FramesExpected = p.Frames;

        var committed = new bool[p.Segments.Count];
        var records = new SegmentRecord?[p.Segments.Count];
        for (int i = 0; i < p.Segments.Count; i++)
        {
            records[i] = await store.VerifyAsync(p.Segments[i], p.InputSha, p.SettingsKey, engine, precision, cancellationToken).ConfigureAwait(false);
            committed[i] = records[i] is not null;
            if (committed[i]) Progress.Resumed(p.Segments[i].Frames);
        }
        int resumed = committed.Count(c => c);

        var commands = new List<string>();
        if (resumed < p.Segments.Count)
            await _restorer.RestoreFramesAsync(pipeline, engine, precision, store, p, committed, records, 0, p.Frames, commands, cancellationToken).ConfigureAwait(false);

        (string muxed, Probing.MediaProbe outProbe) = await _assembler.JoinAndMuxAsync(store, p, "", commands, cancellationToken).ConfigureAwait(false);
        VideoResult result = _assembler.Result(p, outProbe, records!, resumed, commands, engine, precision);
        if (Deliver is { } deliver)
        {
            await deliver(muxed, VideoSidecar.Write(result), File.Exists(OutputPath), cancellationToken).ConfigureAwait(false);
            return result;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputPath))!);
        File.Move(muxed, OutputPath, overwrite: true);
        AtomicFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputPath))!);
        await AtomicFile.WriteAsync(SidecarPath, (s, ct) => s.WriteAsync(VideoSidecar.Write(result), ct).AsTask(), cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Probes and decides exactly as the one-process run does and returns the plan (not yet written: see
    /// <see cref="WritePlanAsync"/>).
    /// </summary>
    public Task<VideoPlan> PlanAsync(RestorePipeline pipeline, string engine, string precision, bool replace, CancellationToken cancellationToken) =>
        PlanAsync(pipeline, engine, precision, replace, jobId: null, cancellationToken);

    /// <inheritdoc cref="VideoPlanner.PlanAsync"/>
    public Task<VideoPlan> PlanAsync(RestorePipeline pipeline, string engine, string precision, bool replace, string? jobId, CancellationToken cancellationToken) =>
        VideoFailures.GuardAsync(Name, () => _planner.PlanAsync(Store(), pipeline, engine, precision, replace, jobId, cancellationToken));

    /// <inheritdoc cref="VideoPlanner.WritePlanAsync"/>
    public Task<IReadOnlyList<int>> WritePlanAsync(VideoPlan plan, CancellationToken cancellationToken) =>
        VideoFailures.GuardAsync(Name, () => _planner.WritePlanAsync(Store(), plan, cancellationToken));

    /// <summary>The plan in this job's spool (through its handle when it has one); null when there is none or it is unreadable.</summary>
    public VideoPlan? ReadPlan() => Store().ReadPlan();

    /// <summary>Whether the job of <paramref name="plan"/> (in this job's spool) has ended: failed, or delivered.</summary>
    public bool Ended(VideoPlan plan) => VideoPlanner.Ended(Store(), plan);

    /// <inheritdoc cref="SegmentRestorer.RestoreSegmentAsync"/>
    public Task<SegmentRun> RestoreSegmentAsync(VideoPlan plan, int index, RestorePipeline pipeline, string engine, string precision, CancellationToken cancellationToken) =>
        VideoFailures.GuardAsync(Name, () => _restorer.RestoreSegmentAsync(Store(), plan, index, pipeline, engine, precision, cancellationToken));

    /// <inheritdoc cref="VideoAssembler.AllCommittedAsync"/>
    public Task<bool> AllCommittedAsync(VideoPlan plan, CancellationToken cancellationToken) =>
        VideoFailures.GuardAsync(Name, () => _assembler.AllCommittedAsync(Store(), plan, cancellationToken));

    /// <inheritdoc cref="VideoAssembler.AssembleAsync"/>
    public Task<VideoResult?> AssembleAsync(VideoPlan plan, CancellationToken cancellationToken) =>
        VideoFailures.GuardAsync(Name, () => _assembler.AssembleAsync(Store(), plan, cancellationToken));

    /// <summary>The output is there with a sidecar naming this plan, and holds the bytes that sidecar records.</summary>
    public static bool Delivered(VideoPlan plan) => VideoAssembler.Delivered(plan);

    /// <inheritdoc cref="VideoAssembler.Delivered(string, string, bool)"/>
    public static bool Delivered(string outputPath, string planId, bool checkBytes = true) => VideoAssembler.Delivered(outputPath, planId, checkBytes);
}
