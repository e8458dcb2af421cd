using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Segments;
using ResShift.Pipeline.Video;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// Decodes a video's frames in order, restores each as a pipeline job (its tiles batch with every other job's) and
/// encodes them segment by segment, committing each segment with its record: the whole video for the one-process
/// run (skipping committed segments), or one segment of a plan for a segment worker.
/// </summary>
internal sealed class SegmentRestorer(VideoRestoreJob job, VideoPreparer preparer, FfmpegTools tools)
{
    private string Name => job.Name;
    private VideoJobOptions Options => job.Options;
    private VideoProgress Progress => job.Progress;

    /// <summary>
    /// Restores one segment of a plan: decodes from the first frame and drops the frames before the segment (exact by
    /// frame number, as the one-process run counts them), restores and encodes the segment's frames, commits it.
    /// A segment already committed and valid is left alone. A worker of another engine class than the plan's refuses
    /// (<see cref="EngineClassMismatchException"/>): one video never mixes engine classes.
    /// </summary>
    public async Task<SegmentRun> RestoreSegmentAsync(SegmentStore store, VideoPlan plan, int index, RestorePipeline pipeline, string engine, string precision, CancellationToken cancellationToken)
    {
        if (index < 0 || index >= plan.Segments) throw new VideoException(Name, $"segment {index} is not in the plan (it has {plan.Segments})");
        if (engine != plan.Engine || precision != plan.Precision)
            throw new EngineClassMismatchException($"{Name}: the job is pinned to {plan.Engine} {plan.Precision} (its planner's engine class); this worker runs {engine} {precision}, and one video never mixes engine classes (their outputs differ)");
        if (pipeline.Geometry.Scale != plan.Scale)
            throw new VideoException(Name, $"the plan restores at x{plan.Scale}; this worker's pipeline is x{pipeline.Geometry.Scale}");
        Segment segment = plan.Cut()[index];
        if (await store.VerifyAsync(segment, plan.InputSha256, plan.SettingsKey, plan.Engine, plan.Precision, cancellationToken).ConfigureAwait(false) is not null)
            return SegmentRun.AlreadyCommitted;
        if (!File.Exists(VideoPlan.PathIn(store.Directory))) return SegmentRun.Superseded; // delivered (or removed) before this worker began
        VideoMetrics.Enter();
        LiveVideos.Add(job);
        try
        {
            PreparedVideo p = await preparer.PrepareAsync(plan.Scale, pipeline.Geometry.LqTile, plan.SegmentFrames, cancellationToken).ConfigureAwait(false);
            VideoPreparer.CheckAgainst(Name, plan, p);
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
            LiveVideos.Remove(job);
        }
    }

    /// <param name="committed">Per segment: already committed (its frames are decoded and skipped).</param>
    /// <param name="records">Filled with the records of the segments committed by this call.</param>
    /// <param name="startAt">The first frame the decoder hands over (a segment worker's segment start; the frames before it are decoded and dropped by ffmpeg).</param>
    /// <param name="stopAt">Decode up to this frame (exclusive): the video's frame count, or the end of the one segment a worker restores.</param>
    public async Task RestoreFramesAsync(RestorePipeline pipeline, string engine, string precision, SegmentStore store, PreparedVideo p,
        bool[] committed, SegmentRecord?[] records, long startAt, long stopAt, List<string> commands, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationToken token = cts.Token;
        VideoDecisions d = p.D;
        long[] sortedPts = p.SortedPts;
        bool partial = stopAt < sortedPts.Length;
        Directory.CreateDirectory(store.Directory);
        using var writer = new SegmentWriter(tools, store, p.Segments, p.PerSegment, Name, d.Width * p.Scale, d.Height * p.Scale, d, p.Plan,
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
        using var decoder = new FrameDecoder(tools, job.ReadPath, Name, p.V, d, token, startAt);
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

    /// <summary>
    /// The noise key of one frame. Shared (default): the video's, so every frame draws the same field at the same
    /// place whatever its segment, batch or machine; per-frame: the video's mixed with the frame index.
    /// </summary>
    private ulong FrameNoiseKey(ulong videoKey, long index) =>
        Options.Noise == NoiseMode.PerFrame ? NoiseField.DeriveJobKey((ulong)index, videoKey) : videoKey;

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
