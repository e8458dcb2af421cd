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
/// </summary>
public sealed class VideoRestoreJob(string inputPath, string outputPath, string name, VideoJobOptions options, FfmpegTools? tools = null)
{
    private readonly FfmpegTools _tools = tools ?? FfmpegTools.Default;

    public string InputPath { get; } = inputPath;
    public string OutputPath { get; } = outputPath;
    public string Name { get; } = name;
    public VideoJobOptions Options { get; } = options;
    public VideoProgress Progress { get; init; } = new();

    /// <summary>The provenance sidecar beside the output.</summary>
    public string SidecarPath => OutputPath + ".resshift.json";

    /// <param name="engine">The engine class (name) and precision of the pipeline: a job is pinned to one.</param>
    public async Task<VideoResult> RunAsync(RestorePipeline pipeline, string engine, string precision, CancellationToken cancellationToken)
    {
        VideoMetrics.Enter();
        LiveVideos.Add(this);
        long started = Stopwatch.GetTimestamp();
        var store = new SegmentStore(SegmentStore.For(OutputPath), _tools);
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
        if (!File.Exists(InputPath)) throw new VideoException(Name, "file not found");
        var prober = new VideoProber(_tools);
        MediaProbe probe;
        try
        {
            probe = await prober.ProbeAsync(InputPath, cancellationToken).ConfigureAwait(false);
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
            packetPts = await prober.PacketPtsAsync(InputPath, v.Index, cancellationToken).ConfigureAwait(false);
        }
        catch (DamagedMediaException e)
        {
            throw new VideoException(Name, e.Message, e);
        }
        if (packetPts.Count == 0) throw new VideoException(Name, "the video stream has no frames");
        Hdr10Metadata? hdr10 = v.ColorTransfer is "smpte2084"
            ? await prober.ProbeHdr10Async(InputPath, v.Index, cancellationToken).ConfigureAwait(false) : null;
        VideoDecisions d = VideoDecider.Decide(Name, v, packetPts, hdr10, Options.Interlace);
        EncoderPlan plan = Options.Encoder.Resolve(d);
        string ffmpegVersion = await _tools.VersionAsync(cancellationToken).ConfigureAwait(false);

        string inputSha = await SegmentStore.Sha256Async(InputPath, cancellationToken).ConfigureAwait(false);
        ulong videoKey = new ContentKey(inputSha).NoiseKey;
        long frames = packetPts.Count;
        long[] sortedPts = [.. packetPts];
        Array.Sort(sortedPts);

        int scale = pipeline.Geometry.Scale;
        int lqTile = pipeline.Geometry.LqTile;
        int tilesPerFrame = (int)Math.Ceiling(d.Width / (lqTile * 0.75)) * (int)Math.Ceiling(d.Height / (lqTile * 0.75));
        int perSegment = Options.SegmentFrames > 0 ? Options.SegmentFrames : SegmentPlan.AutoSize(d.FrameRate.Value, tilesPerFrame);
        IReadOnlyList<Segment> segments = SegmentPlan.Cut(frames, perSegment);
        string settingsKey = SettingsKey(plan, scale);
        Progress.FramesExpected = frames;

        var committed = new bool[segments.Count];
        var records = new SegmentRecord?[segments.Count];
        for (int i = 0; i < segments.Count; i++)
        {
            records[i] = await store.VerifyAsync(segments[i], inputSha, settingsKey, engine, precision, cancellationToken).ConfigureAwait(false);
            committed[i] = records[i] is not null;
            if (committed[i]) Progress.Resumed(segments[i].Frames);
        }
        int resumed = committed.Count(c => c);

        var commands = new List<string>();
        if (resumed < segments.Count)
            await RestoreFramesAsync(pipeline, engine, precision, store, v, d, plan, segments, committed, records, perSegment, sortedPts, inputSha, settingsKey, videoKey, scale, commands, cancellationToken).ConfigureAwait(false);

        // Join, retime (VFR), mux: all inside the spool, then one rename puts the output in place.
        string joined = Path.Combine(store.Directory, "video.mkv");
        commands.Add(await SegmentConcat.JoinAsync(_tools, store, segments, d.FrameRate, joined, cancellationToken).ConfigureAwait(false));
        var muxer = new VideoMuxer(_tools);
        string video = joined;
        if (d.Vfr)
        {
            string ts = Path.Combine(store.Directory, "timestamps.txt");
            await File.WriteAllTextAsync(ts, VideoMuxer.TimestampsV2(sortedPts, v.TimeBase), cancellationToken).ConfigureAwait(false);
            video = Path.Combine(store.Directory, "video-vfr.mkv");
            await muxer.RetimeAsync(joined, ts, video, cancellationToken).ConfigureAwait(false);
        }
        string muxed = Path.Combine(store.Directory, "output.mkv");
        await muxer.MuxAsync(video, InputPath, probe, v, muxed, cancellationToken).ConfigureAwait(false);
        commands.AddRange(muxer.CommandLines);

        MediaProbe outProbe = await prober.ProbeAsync(muxed, cancellationToken).ConfigureAwait(false);
        long framesOut = outProbe.Video?.Packets ?? 0;
        if (framesOut != frames)
            throw new VideoException(Name, $"the output holds {framesOut} frames, the input {frames}: refusing to deliver it");

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputPath))!);
        File.Move(muxed, OutputPath, overwrite: true);
        AtomicFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputPath))!);

        var result = new VideoResult
        {
            Name = Name, OutputPath = OutputPath, InputSha256 = inputSha, Frames = frames, FramesOut = framesOut,
            Decisions = d, Encoder = plan, Probe = probe, OutputProbe = outProbe, Segments = [.. records.Select(r => r!)],
            SegmentsResumed = resumed, FfmpegVersion = ffmpegVersion, CommandLines = commands,
            Engine = engine, Precision = precision, Options = Options, Scale = scale,
        };
        await AtomicFile.WriteAsync(SidecarPath, (s, ct) => s.WriteAsync(VideoSidecar.Write(result), ct).AsTask(), cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task RestoreFramesAsync(RestorePipeline pipeline, string engine, string precision, SegmentStore store, StreamProbe v, VideoDecisions d,
        EncoderPlan plan, IReadOnlyList<Segment> segments, bool[] committed, SegmentRecord?[] records, int perSegment, long[] sortedPts,
        string inputSha, string settingsKey, ulong videoKey, int scale, List<string> commands, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationToken token = cts.Token;
        Directory.CreateDirectory(store.Directory);
        using var writer = new SegmentWriter(_tools, store, segments, perSegment, Name, d.Width * scale, d.Height * scale, d, plan,
            s => new SegmentRecord
            {
                Index = s.Index, FirstFrame = s.FirstFrame, Frames = s.Frames, InputSha256 = inputSha, SettingsKey = settingsKey,
                OutputSha256 = "", Engine = engine, Precision = precision,
            }, sortedPts);
        using var sequencer = new FrameSequencer(async (index, bytes, ct) =>
        {
            await writer.WriteAsync(index, bytes, ct).ConfigureAwait(false);
            Progress.FrameDone();
        }, d.BytesPerSample, Math.Max(1, Options.Window));
        var sink = new Sink(sequencer, Progress);
        using var decoder = new FrameDecoder(_tools, InputPath, Name, v, d, token);
        commands.Add(decoder.CommandLine);

        var running = new List<Task>();
        long index = 0;
        var raw = new byte[decoder.FrameBytes];
        try
        {
            while (await decoder.ReadFrameAsync(raw, token).ConfigureAwait(false))
            {
                if (index >= sortedPts.Length)
                    throw new VideoException(Name, $"the decoder gave more frames than the {sortedPts.Length} packets the probe counted");
                int segment = (int)(index / perSegment);
                await sequencer.Window.WaitAsync(token).ConfigureAwait(false);
                if (committed[segment])
                {
                    await sequencer.SkipAsync(index, token).ConfigureAwait(false);
                    index++;
                    continue;
                }
                float[] lq = RawFrame.ToLq(raw, d.Width, d.Height, d.BytesPerSample);
                var job = new VideoFrameJob($"{Name}#{index}", Options.Source, index, lq, d.Width, d.Height, FrameNoiseKey(videoKey, index),
                    Options.Noise == NoiseMode.Zero ? Options.Frame with { NoiseScale = 0 } : Options.Frame, sink);
                Task<JobReport> task = await pipeline.SubmitAsync(job, token).ConfigureAwait(false);
                _ = task.ContinueWith(_ => cts.Cancel(), CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
                running.Add(task);
                index++;
            }
            await decoder.FinishAsync(token).ConfigureAwait(false);
            if (index != sortedPts.Length)
                throw new VideoException(Name, $"decoded {index} frames of the {sortedPts.Length} the container holds (truncated or corrupt input): {decoder.Stderr.Trim()}");
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
        if (sequencer.Written != sortedPts.Length)
            throw new VideoException(Name, $"encoded {sequencer.Written} of {sortedPts.Length} frames");
        commands.AddRange(writer.CommandLines);
        foreach (SegmentRecord r in writer.Committed) records[r.Index] = r;
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

/// <summary>A segment was committed by another engine class: the job refuses to mix.</summary>
public sealed class EngineClassMismatchException(string message) : Exception(message);
