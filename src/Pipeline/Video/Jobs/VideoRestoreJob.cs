using System.Diagnostics;
using System.Globalization;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Segments;

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
/// </summary>
public sealed class VideoRestoreJob(string inputPath, string outputPath, string name, VideoJobOptions options, FfmpegTools? tools = null)
{
    private readonly FfmpegTools _tools = tools ?? FfmpegTools.Default;

    public string InputPath { get; } = inputPath;

    /// <summary>
    /// What ffmpeg and ffprobe open: the input itself, or a descriptor the caller holds (<c>/proc/PID/fd/N</c>,
    /// opened through a root's handle) so that no path is followed after the checks. A plan records
    /// <see cref="InputPath"/>, the name every daemon resolves for itself.
    /// </summary>
    public string ReadPath { get; init; } = inputPath;

    /// <summary>
    /// Puts an output and its sidecar in place; null = by path at <see cref="OutputPath"/>. The daemon's queue passes
    /// one that resolves the output inside its root at that moment and renames through the root's handle.
    /// </summary>
    public DeliverOutput? Deliver { get; init; }
    public string OutputPath { get; } = outputPath;
    public string Name { get; } = name;
    public VideoJobOptions Options { get; } = options;
    public VideoProgress Progress { get; init; } = new();

    /// <summary>
    /// The folder of this job's segments, plan and working files; by default <see cref="SegmentStore.For"/> beside the
    /// output (the CLI, and the watch roots whose output is already in their spool). The daemon's queue passes a
    /// folder in its root's daemon-owned spool named through the descriptor it holds (<c>/proc/PID/fd/N/NAME</c>),
    /// so that no folder on the output's way is walked, and a folder swapped for a link cannot redirect the spool.
    /// </summary>
    public string SpoolPath { get; init; } = SegmentStore.For(outputPath);

    /// <summary>The provenance sidecar beside the output.</summary>
    public string SidecarPath => OutputPath + ".resshift.json";

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
            keepSpool = true;
            throw new VideoException(Name, e.Message, e);
        }
        catch (VideoException)
        {
            throw;
        }
        catch (ToolNotFoundException e)
        {
            throw new VideoException(Name, e.Message, e);
        }
        catch (ToolFailedException e)
        {
            throw new VideoException(Name, e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new VideoException(Name, "refused: " + e.Message, e);
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
        Prepared p = await PrepareAsync(pipeline.Geometry.Scale, pipeline.Geometry.LqTile, null, cancellationToken).ConfigureAwait(false);
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
            await RestoreFramesAsync(pipeline, engine, precision, store, p, committed, records, 0, p.Frames, commands, cancellationToken).ConfigureAwait(false);

        (string muxed, MediaProbe outProbe) = await JoinAndMuxAsync(store, p, "", commands, cancellationToken).ConfigureAwait(false);
        VideoResult result = Result(p, outProbe, records!, resumed, commands, engine, precision);
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

    /// <summary>Everything decided before a frame is decoded; the same input and options give the same values in any process.</summary>
    private sealed record Prepared(
        MediaProbe Probe, StreamProbe V, VideoDecisions D, EncoderPlan Plan, string FfmpegVersion, string InputSha, ulong VideoKey,
        long[] SortedPts, int Scale, int PerSegment, IReadOnlyList<Segment> Segments, string SettingsKey)
    {
        public long Frames => SortedPts.Length;
    }

    /// <param name="perSegment">The plan's segment size; null = from the options (or automatic).</param>
    private async Task<Prepared> PrepareAsync(int scale, int lqTile, int? perSegment, CancellationToken cancellationToken)
    {
        // Probed and hashed once per job: a planner that ends up restoring alone, or a segment worker that goes on
        // to assemble, asks again for the same input.
        Source src = _source ??= await ProbeSourceAsync(cancellationToken).ConfigureAwait(false);
        VideoDecisions d = src.D;
        int tilesPerFrame = (int)Math.Ceiling(d.Width / (lqTile * 0.75)) * (int)Math.Ceiling(d.Height / (lqTile * 0.75));
        int size = perSegment ?? (Options.SegmentFrames > 0 ? Options.SegmentFrames : SegmentPlan.AutoSize(d.FrameRate.Value, tilesPerFrame));
        IReadOnlyList<Segment> segments = SegmentPlan.Cut(src.SortedPts.Length, size);
        return new Prepared(src.Probe, src.V, d, src.Plan, src.FfmpegVersion, src.InputSha, src.VideoKey, src.SortedPts, scale, size, segments, SettingsKey(src.Plan, scale));
    }

    private Source? _source;

    /// <summary>What the input itself decides: the probe, the decisions and encoder, its sha256 and frame timestamps.</summary>
    private sealed record Source(MediaProbe Probe, StreamProbe V, VideoDecisions D, EncoderPlan Plan, string FfmpegVersion, string InputSha, ulong VideoKey, long[] SortedPts);

    private async Task<Source> ProbeSourceAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(ReadPath)) throw new VideoException(Name, "file not found");
        var prober = new VideoProber(_tools);
        MediaProbe probe;
        try
        {
            probe = await prober.ProbeAsync(ReadPath, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolFailedException e)
        {
            throw new VideoException(Name, "not a readable media file: " + e.StandardError, e);
        }
        StreamProbe v = probe.Video ?? throw new VideoException(Name,
            probe.Streams.Count == 0 ? "no streams: not a video" : $"no video stream (the file has {Describe(probe)}): nothing to restore");
        List<long> packetPts;
        try
        {
            packetPts = await prober.PacketPtsAsync(ReadPath, v.Index, cancellationToken).ConfigureAwait(false);
        }
        catch (DamagedMediaException e)
        {
            throw new VideoException(Name, e.Message, e);
        }
        if (packetPts.Count == 0) throw new VideoException(Name, "the video stream has no frames");
        Hdr10Metadata? hdr10 = v.ColorTransfer is "smpte2084"
            ? await prober.ProbeHdr10Async(ReadPath, v.Index, cancellationToken).ConfigureAwait(false) : null;
        VideoDecisions d = VideoDecider.Decide(Name, v, packetPts, hdr10, Options.Interlace);
        EncoderPlan plan = Options.Encoder.Resolve(d);
        string ffmpegVersion = await _tools.VersionAsync(cancellationToken).ConfigureAwait(false);

        string inputSha = await SegmentStore.Sha256Async(ReadPath, cancellationToken).ConfigureAwait(false);
        ulong videoKey = new ContentKey(inputSha).NoiseKey;
        long[] sortedPts = [.. packetPts];
        Array.Sort(sortedPts);
        return new Source(probe, v, d, plan, ffmpegVersion, inputSha, videoKey, sortedPts);
    }

    /// <summary>Join, retime (VFR), mux, all inside the spool, and check the frame count; the muxed file is not delivered yet.</summary>
    /// <param name="tag">Suffix of the spool's working names: two assemblers of one distributed job never share a file.</param>
    private async Task<(string Muxed, MediaProbe OutProbe)> JoinAndMuxAsync(SegmentStore store, Prepared p, string tag, List<string> commands, CancellationToken cancellationToken)
    {
        string joined = Path.Combine(store.Directory, $"video{tag}.mkv");
        commands.Add(await SegmentConcat.JoinAsync(_tools, store, p.Segments, p.D.FrameRate, joined, cancellationToken, $"segments{tag}.ffconcat").ConfigureAwait(false));
        var muxer = new VideoMuxer(_tools);
        string video = joined;
        if (p.D.Vfr)
        {
            string ts = Path.Combine(store.Directory, $"timestamps{tag}.txt");
            await File.WriteAllTextAsync(ts, VideoMuxer.TimestampsV2(p.SortedPts, p.V.TimeBase), cancellationToken).ConfigureAwait(false);
            video = Path.Combine(store.Directory, $"video-vfr{tag}.mkv");
            await muxer.RetimeAsync(joined, ts, video, cancellationToken).ConfigureAwait(false);
        }
        string muxed = Path.Combine(store.Directory, $"output{tag}.mkv");
        await muxer.MuxAsync(video, ReadPath, p.Probe, p.V, muxed, cancellationToken).ConfigureAwait(false);
        commands.AddRange(muxer.CommandLines);

        MediaProbe outProbe = await new VideoProber(_tools).ProbeAsync(muxed, cancellationToken).ConfigureAwait(false);
        long framesOut = outProbe.Video?.Packets ?? 0;
        if (framesOut != p.Frames)
            throw new VideoException(Name, $"the output holds {framesOut} frames, the input {p.Frames}: refusing to deliver it");
        return (muxed, outProbe);
    }

    private VideoResult Result(Prepared p, MediaProbe outProbe, SegmentRecord[] records, int resumed, List<string> commands, string engine, string precision) => new()
    {
        Name = Name, OutputPath = OutputPath, InputSha256 = p.InputSha, Frames = p.Frames, FramesOut = outProbe.Video?.Packets ?? 0,
        Decisions = p.D, Encoder = p.Plan, Probe = p.Probe, OutputProbe = outProbe, Segments = records,
        SegmentsResumed = resumed, FfmpegVersion = p.FfmpegVersion, CommandLines = commands,
        Engine = engine, Precision = precision, Options = Options, Scale = p.Scale,
    };

    /// <param name="startAt">The first frame the decoder hands over (a segment worker's segment start; the frames before it are decoded and dropped by ffmpeg).</param>
    /// <param name="stopAt">Decode up to this frame (exclusive): the video's frame count, or the end of the one segment a worker restores.</param>
    private async Task RestoreFramesAsync(RestorePipeline pipeline, string engine, string precision, SegmentStore store, Prepared p,
        bool[] committed, SegmentRecord?[] records, long startAt, long stopAt, List<string> commands, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationToken token = cts.Token;
        VideoDecisions d = p.D;
        long[] sortedPts = p.SortedPts;
        bool partial = stopAt < sortedPts.Length;
        Directory.CreateDirectory(store.Directory);
        using var writer = new SegmentWriter(_tools, store, p.Segments, p.PerSegment, Name, d.Width * p.Scale, d.Height * p.Scale, d, p.Plan,
            s => new SegmentRecord
            {
                Index = s.Index, FirstFrame = s.FirstFrame, Frames = s.Frames, InputSha256 = p.InputSha, SettingsKey = p.SettingsKey,
                OutputSha256 = "", Engine = engine, Precision = precision, Worker = $"{Environment.MachineName}:{Environment.ProcessId}",
            }, sortedPts);
        using var sequencer = new FrameSequencer(async (index, bytes, ct) =>
        {
            await writer.WriteAsync(index, bytes, ct).ConfigureAwait(false);
            Progress.FrameDone();
        }, d.BytesPerSample, Math.Max(1, Options.Window));
        var sink = new Sink(sequencer, Progress);
        using var decoder = new FrameDecoder(_tools, ReadPath, Name, p.V, d, token, startAt);
        commands.Add(decoder.CommandLine);

        var running = new List<Task>();
        long index = 0;
        var raw = new byte[decoder.FrameBytes];
        try
        {
            for (; index < startAt; index++)
            {
                // Dropped by the decoder: they take their turn in order, nothing is read for them.
                if (!committed[(int)(index / p.PerSegment)]) throw new InvalidOperationException($"frame {index} is before the decoder's first frame {startAt} but not skipped");
                await sequencer.Window.WaitAsync(token).ConfigureAwait(false);
                await sequencer.SkipAsync(index, token).ConfigureAwait(false);
            }
            // A segment worker stops reading at its segment's end (the decoder is killed with the token below).
            while ((!partial || index < stopAt) && await decoder.ReadFrameAsync(raw, token).ConfigureAwait(false))
            {
                if (index >= sortedPts.Length)
                    throw new VideoException(Name, $"the decoder gave more frames than the {sortedPts.Length} packets the probe counted");
                int segment = (int)(index / p.PerSegment);
                await sequencer.Window.WaitAsync(token).ConfigureAwait(false);
                if (committed[segment])
                {
                    await sequencer.SkipAsync(index, token).ConfigureAwait(false);
                    index++;
                    continue;
                }
                float[] lq = RawFrame.ToLq(raw, d.Width, d.Height, d.BytesPerSample);
                var job = new VideoFrameJob($"{Name}#{index}", Options.Source, index, lq, d.Width, d.Height, FrameNoiseKey(p.VideoKey, index),
                    Options.Noise == NoiseMode.Zero ? Options.Frame with { NoiseScale = 0 } : Options.Frame, sink);
                Task<JobReport> task = await pipeline.SubmitAsync(job, token).ConfigureAwait(false);
                _ = task.ContinueWith(_ => cts.Cancel(), CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
                running.Add(task);
                index++;
            }
            if (!partial)
            {
                await decoder.FinishAsync(token).ConfigureAwait(false);
                if (index != sortedPts.Length)
                    throw new VideoException(Name, $"decoded {index} frames of the {sortedPts.Length} the container holds (truncated or corrupt input): {decoder.Stderr.Trim()}");
            }
            else if (index != stopAt)
            {
                throw new VideoException(Name, $"decoded {index} frames; the segment ends at frame {stopAt} of {sortedPts.Length} (truncated or corrupt input): {decoder.Stderr.Trim()}");
            }
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception) when (running.FirstOrDefault(t => t.IsFaulted) is { } failed && !cancellationToken.IsCancellationRequested)
        {
            cts.Cancel();
            Exception inner = failed.Exception!.GetBaseException();
            throw inner as VideoException ?? new VideoException(Name, "restoring a frame failed: " + inner.Message, inner);
        }
        finally
        {
            cts.Cancel(); // frames still in the pipeline stop; decoder and encoders are killed by their tokens
            try
            {
                await Task.WhenAll(running).ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
        }
        if (sequencer.Written != stopAt)
            throw new VideoException(Name, $"encoded {sequencer.Written} of {stopAt} frames");
        commands.AddRange(writer.CommandLines);
        foreach (SegmentRecord r in writer.Committed) records[r.Index] = r;
    }

    /// <summary>A job for a plan: the planner's input, output, name and options, never this process's own.</summary>
    /// <param name="spoolPath">Where the plan was read from; null = beside the plan's output.</param>
    public static VideoRestoreJob FromPlan(VideoPlan plan, FfmpegTools? tools = null, string? readPath = null, DeliverOutput? deliver = null, string? spoolPath = null) =>
        new(plan.InputPath, plan.OutputPath, plan.Name, plan.Options, tools)
        {
            ReadPath = readPath ?? plan.InputPath, Deliver = deliver, SpoolPath = spoolPath ?? SegmentStore.For(plan.OutputPath),
        };

    private SegmentStore Store() => new(SpoolPath, _tools);

    /// <summary>
    /// Probes and decides exactly as the one-process run does and returns the plan (not yet written: see
    /// <see cref="WritePlanAsync"/>).
    /// </summary>
    public Task<VideoPlan> PlanAsync(RestorePipeline pipeline, string engine, string precision, bool replace, CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            Prepared p = await PrepareAsync(pipeline.Geometry.Scale, pipeline.Geometry.LqTile, null, cancellationToken).ConfigureAwait(false);
            var plan = new VideoPlan
            {
                Id = VideoPlan.IdFor(p.InputSha, p.SettingsKey, OutputPath, engine, precision), Name = Name,
                InputPath = Path.GetFullPath(InputPath), OutputPath = Path.GetFullPath(OutputPath), InputSha256 = p.InputSha,
                Frames = p.Frames, SegmentFrames = p.PerSegment, Segments = p.Segments.Count, Scale = p.Scale, SettingsKey = p.SettingsKey,
                Engine = engine, Precision = precision, Replace = replace, Options = Options,
            };
            return plan;
        });

    /// <summary>
    /// Writes the plan atomically into the spool (the shared storage), where segment workers and assemblers read it,
    /// and removes the failure marker of an earlier attempt; segments committed there under the same plan stay valid.
    /// Returns the segments still to restore.
    /// </summary>
    public async Task<IReadOnlyList<int>> WritePlanAsync(VideoPlan plan, CancellationToken cancellationToken)
    {
        await plan.WriteAsync(SpoolPath, cancellationToken).ConfigureAwait(false);
        SegmentStore store = Store();
        File.Delete(store.FailedMarker);
        var pending = new List<int>();
        foreach (Segment s in plan.Cut())
            if (await GuardAsync(() => store.VerifyAsync(s, plan.InputSha256, plan.SettingsKey, plan.Engine, plan.Precision, cancellationToken)).ConfigureAwait(false) is null)
                pending.Add(s.Index);
        return pending;
    }

    /// <summary>
    /// Restores one segment of a plan: decodes from the first frame and drops the frames before the segment (exact by
    /// frame number, as the one-process run counts them), restores and encodes the segment's frames, commits it.
    /// A segment already committed and valid is left alone. A worker of another engine class than the plan's refuses
    /// (<see cref="EngineClassMismatchException"/>): one video never mixes engine classes.
    /// </summary>
    public Task<SegmentRun> RestoreSegmentAsync(VideoPlan plan, int index, RestorePipeline pipeline, string engine, string precision, CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            if (index < 0 || index >= plan.Segments) throw new VideoException(Name, $"segment {index} is not in the plan (it has {plan.Segments})");
            if (engine != plan.Engine || precision != plan.Precision)
                throw new EngineClassMismatchException($"{Name}: the job is pinned to {plan.Engine} {plan.Precision} (its planner's engine class); this worker runs {engine} {precision}, and one video never mixes engine classes (their outputs differ)");
            if (pipeline.Geometry.Scale != plan.Scale)
                throw new VideoException(Name, $"the plan restores at x{plan.Scale}; this worker's pipeline is x{pipeline.Geometry.Scale}");
            SegmentStore store = Store();
            Segment segment = plan.Cut()[index];
            if (await store.VerifyAsync(segment, plan.InputSha256, plan.SettingsKey, plan.Engine, plan.Precision, cancellationToken).ConfigureAwait(false) is not null)
                return SegmentRun.AlreadyCommitted;
            if (!File.Exists(VideoPlan.PathIn(store.Directory))) return SegmentRun.Superseded; // delivered (or removed) before this worker began
            VideoMetrics.Enter();
            LiveVideos.Add(this);
            try
            {
                Prepared p = await PrepareAsync(plan.Scale, pipeline.Geometry.LqTile, plan.SegmentFrames, cancellationToken).ConfigureAwait(false);
                CheckAgainst(plan, p);
                Progress.FramesExpected = segment.Frames;
                bool[] skip = [.. Enumerable.Range(0, p.Segments.Count).Select(i => i != index)];
                await RestoreFramesAsync(pipeline, engine, precision, store, p, skip, new SegmentRecord?[p.Segments.Count], segment.FirstFrame, segment.EndFrame, [], cancellationToken).ConfigureAwait(false);
                if (!File.Exists(VideoPlan.PathIn(store.Directory)))
                {
                    // The job was delivered (and its spool removed) while this duplicate ran: leave nothing behind.
                    store.Delete();
                    return SegmentRun.Superseded;
                }
                return SegmentRun.Restored;
            }
            finally
            {
                VideoMetrics.Exit();
                LiveVideos.Remove(this);
            }
        });

    /// <summary>Whether every segment of the plan is committed and valid (record, file sha256, packet count).</summary>
    public Task<bool> AllCommittedAsync(VideoPlan plan, CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            SegmentStore store = Store();
            IReadOnlyList<Segment> segments = plan.Cut();
            // Cheap first: while any record is missing there is nothing to verify.
            if (segments.Any(s => !File.Exists(store.RecordPathOf(s)))) return false;
            foreach (Segment s in segments)
                if (await store.VerifyAsync(s, plan.InputSha256, plan.SettingsKey, plan.Engine, plan.Precision, cancellationToken).ConfigureAwait(false) is null)
                    return false;
            return true;
        });

    /// <summary>
    /// Joins a plan's committed segments, retimes (VFR), muxes the other streams, checks the frame count and delivers
    /// the output with its sidecar, then removes the spool. Null when the output was already delivered for this plan
    /// (by another assembler: idempotent). The sidecar goes first and names the plan and the output's sha256, so a
    /// crash between the two renames is not mistaken for a delivery; an existing output is replaced only when it is
    /// ours (a video sidecar) and the job asked to replace.
    /// </summary>
    public Task<VideoResult?> AssembleAsync(VideoPlan plan, CancellationToken cancellationToken) =>
        GuardAsync<VideoResult?>(async () =>
        {
            if (Delivered(plan)) return null;
            SegmentStore store = Store();
            string tag = "-" + Guid.NewGuid().ToString("N")[..12];
            try
            {
                Prepared p = await PrepareAsync(plan.Scale, 1, plan.SegmentFrames, cancellationToken).ConfigureAwait(false);
                CheckAgainst(plan, p);
                var records = new SegmentRecord[p.Segments.Count];
                for (int i = 0; i < records.Length; i++)
                    records[i] = await store.VerifyAsync(p.Segments[i], p.InputSha, p.SettingsKey, plan.Engine, plan.Precision, cancellationToken).ConfigureAwait(false)
                        ?? throw new VideoException(Name, $"segment {i} is not committed, or its file no longer matches its record: cannot assemble");
                var commands = new List<string>();
                (string muxed, MediaProbe outProbe) = await JoinAndMuxAsync(store, p, tag, commands, cancellationToken).ConfigureAwait(false);
                string outputSha = await SegmentStore.Sha256Async(muxed, cancellationToken).ConfigureAwait(false);
                VideoResult result = Result(p, outProbe, records, records.Length, commands, plan.Engine, plan.Precision) with { PlanId = plan.Id, OutputSha256 = outputSha };

                DeliveryHook.BeforeDelivery();
                if (Delivered(plan)) return null;
                bool exists = File.Exists(OutputPath);
                if (exists && !(plan.Replace && IsVideoSidecar(OutputPath)))
                    throw new VideoException(Name, $"the output {OutputPath} exists and was not written by this job: it is not replaced");
                if (Deliver is { } deliver)
                {
                    await deliver(muxed, VideoSidecar.Write(result), exists, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    string dir = Path.GetDirectoryName(Path.GetFullPath(OutputPath))!;
                    Directory.CreateDirectory(dir);
                    await AtomicFile.WriteAsync(SidecarPath, (s, ct) => s.WriteAsync(VideoSidecar.Write(result), ct).AsTask(), cancellationToken).ConfigureAwait(false);
                    File.Move(muxed, OutputPath, overwrite: exists);
                    AtomicFile.SyncDirectory(dir);
                }
                store.Delete();
                return result;
            }
            catch (Exception) when (Delivered(plan))
            {
                // Another assembler delivered meanwhile (and may have removed the spool under this one).
                return null;
            }
            finally
            {
                foreach (string f in new[] { $"video{tag}.mkv", $"video-vfr{tag}.mkv", $"output{tag}.mkv", $"timestamps{tag}.txt", $"segments{tag}.ffconcat" })
                    AtomicFile.TryDelete(Path.Combine(store.Directory, f));
            }
        });

    /// <summary>The output is there with a sidecar naming this plan, and holds the bytes that sidecar records.</summary>
    public static bool Delivered(VideoPlan plan) => Delivered(plan.OutputPath, plan.Id);

    /// <param name="checkBytes">False: the sidecar naming the plan is enough (its output is there); true: the output also holds the bytes it records.</param>
    /// <remarks>Read by the common rule (<see cref="CompletedOutput.Delivered(string, string, bool)"/>): through the output folder's handle, regular files only, size-limited.</remarks>
    public static bool Delivered(string outputPath, string planId, bool checkBytes = true) => CompletedOutput.Delivered(outputPath, planId, checkBytes);

    private static bool IsVideoSidecar(string outputPath) => ProvenanceFile.TryRead(outputPath) is { Kind: "video", WrittenByUs: true };

    /// <summary>A step of a distributed job must see the video as its planner did; otherwise its segments would not join.</summary>
    private void CheckAgainst(VideoPlan plan, Prepared p)
    {
        if (p.InputSha != plan.InputSha256)
            throw new VideoException(Name, $"the input changed since the job was planned (sha256 {p.InputSha[..12]}…, planned {plan.InputSha256[..12]}…): send the job again");
        if (p.Frames != plan.Frames || p.Segments.Count != plan.Segments || p.SettingsKey != plan.SettingsKey)
            throw new VideoException(Name, $"this worker decides the video differently from its planner ({p.Frames} frames in {p.Segments.Count} segments, settings '{p.SettingsKey}'; planned {plan.Frames} in {plan.Segments}, '{plan.SettingsKey}'): a different ffmpeg?");
    }

    /// <summary>The distributed steps' exceptions as the one-process run reports them (a <see cref="VideoException"/> naming the file).</summary>
    private async Task<T> GuardAsync<T>(Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (ToolNotFoundException e)
        {
            throw new VideoException(Name, e.Message, e);
        }
        catch (ToolFailedException e)
        {
            throw new VideoException(Name, e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new VideoException(Name, "refused: " + e.Message, e);
        }
    }

    /// <summary>
    /// The noise key of one frame. Shared (default): the video's, so every frame draws the same field at the same
    /// place whatever its segment, batch or machine; per-frame: the video's mixed with the frame index.
    /// </summary>
    private ulong FrameNoiseKey(ulong videoKey, long index) =>
        Options.Noise == NoiseMode.PerFrame ? NoiseField.DeriveJobKey((ulong)index, videoKey) : videoKey;

    private string SettingsKey(EncoderPlan plan, int scale) => string.Join('|',
        Options.Model, scale.ToString(CultureInfo.InvariantCulture), Options.Noise,
        Options.Frame.Seed?.ToString(CultureInfo.InvariantCulture) ?? "-", Options.Frame.NoiseScale?.ToString("R", CultureInfo.InvariantCulture) ?? "-",
        Options.Frame.Overlap?.ToString(CultureInfo.InvariantCulture) ?? "-", Options.Frame.Blend?.ToString() ?? "-",
        string.Join(' ', plan.Arguments));

    private static string Describe(MediaProbe p) =>
        string.Join(", ", p.Streams.GroupBy(s => s.Kind).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));

    private sealed class Sink(FrameSequencer sequencer, VideoProgress progress) : IVideoFrameSink
    {
        public void Planned(int tiles) => progress.Planned(tiles);
        public void TileDone() => progress.TileDone();
        public ValueTask PutAsync(long index, RestoredImage frame, CancellationToken cancellationToken) => sequencer.PutAsync(index, frame, cancellationToken);
    }
}

/// <summary>What <see cref="VideoRestoreJob.RestoreSegmentAsync"/> did.</summary>
public enum SegmentRun
{
    /// <summary>Restored, encoded and committed now.</summary>
    Restored,

    /// <summary>Already committed and valid: nothing done (a redelivered or duplicate message).</summary>
    AlreadyCommitted,

    /// <summary>The plan left the spool (the job was delivered, or the spool removed) before or while this worker ran: its work was dropped.</summary>
    Superseded,
}

/// <summary>
/// Puts <paramref name="muxed"/> (a finished output in the spool) in place with <paramref name="sidecar"/>: the
/// sidecar first, then the output, replacing an existing one only when <paramref name="replace"/>.
/// </summary>
public delegate Task DeliverOutput(string muxed, byte[] sidecar, bool replace, CancellationToken cancellationToken);

/// <summary>A segment was committed by another engine class: the job refuses to mix.</summary>
public sealed class EngineClassMismatchException(string message) : Exception(message);
