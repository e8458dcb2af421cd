using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Segments;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// The last steps of a video job: join the committed segments, put the source's VFR timestamps back, mux every
/// other stream of the original in without re-encoding, check the frame count; for a distributed job also verify
/// every record and deliver the output with its sidecar (idempotently: a second assembler finds it delivered).
/// </summary>
internal sealed class VideoAssembler(VideoRestoreJob job, VideoPreparer preparer, FfmpegTools tools)
{
    private string Name => job.Name;

    /// <summary>Whether every segment of the plan is committed and valid (record, file sha256, packet count).</summary>
    public async Task<bool> AllCommittedAsync(SegmentStore store, VideoPlan plan, CancellationToken cancellationToken)
    {
        IReadOnlyList<Segment> segments = plan.Cut();
        // Cheap first: while any record is missing there is nothing to verify.
        if (segments.Any(s => !File.Exists(store.RecordPathOf(s)))) return false;
        foreach (Segment s in segments)
            if (await store.VerifyAsync(s, plan.InputSha256, plan.SettingsKey, plan.Engine, plan.Precision, cancellationToken).ConfigureAwait(false) is null)
                return false;
        return true;
    }

    /// <summary>
    /// Joins a plan's committed segments, retimes (VFR), muxes the other streams, checks the frame count and delivers
    /// the output with its sidecar, then removes the spool. Null when the output was already delivered for this plan
    /// (by another assembler: idempotent). The sidecar goes first and names the plan and the output's sha256, so a
    /// crash between the two renames is not mistaken for a delivery; an existing output is replaced only when it is
    /// ours (a video sidecar) and the job asked to replace.
    /// </summary>
    public async Task<VideoResult?> AssembleAsync(SegmentStore store, VideoPlan plan, CancellationToken cancellationToken)
    {
        if (Delivered(plan)) return null;
        string tag = "-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            PreparedVideo p = await preparer.PrepareAsync(plan.Scale, 1, plan.SegmentFrames, cancellationToken).ConfigureAwait(false);
            VideoPreparer.CheckAgainst(Name, plan, p);
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
            bool exists = File.Exists(job.OutputPath);
            if (exists && !(plan.Replace && IsVideoSidecar(job.OutputPath)))
                throw new VideoException(Name, $"the output {job.OutputPath} exists and was not written by this job: it is not replaced");
            if (job.Deliver is { } deliver)
            {
                await deliver(muxed, VideoSidecar.Write(result), exists, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                string dir = Path.GetDirectoryName(Path.GetFullPath(job.OutputPath))!;
                Directory.CreateDirectory(dir);
                await AtomicFile.WriteAsync(job.SidecarPath, (s, ct) => s.WriteAsync(VideoSidecar.Write(result), ct).AsTask(), cancellationToken).ConfigureAwait(false);
                File.Move(muxed, job.OutputPath, overwrite: exists);
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
    }


    /// <summary>Join, retime (VFR), mux, all inside the spool, and check the frame count; the muxed file is not delivered yet.</summary>
    /// <param name="tag">Suffix of the spool's working names: two assemblers of one distributed job never share a file.</param>
    public async Task<(string Muxed, MediaProbe OutProbe)> JoinAndMuxAsync(SegmentStore store, PreparedVideo p, string tag, List<string> commands, CancellationToken cancellationToken)
    {
        string joined = Path.Combine(store.Directory, $"video{tag}.mkv");
        commands.Add(await SegmentConcat.JoinAsync(tools, store, p.Segments, p.D.FrameRate, joined, cancellationToken, $"segments{tag}.ffconcat").ConfigureAwait(false));
        var muxer = new VideoMuxer(tools);
        string video = joined;
        if (p.D.Vfr)
        {
            string ts = Path.Combine(store.Directory, $"timestamps{tag}.txt");
            await File.WriteAllTextAsync(ts, VideoMuxer.TimestampsV2(p.SortedPts, p.V.TimeBase), cancellationToken).ConfigureAwait(false);
            video = Path.Combine(store.Directory, $"video-vfr{tag}.mkv");
            await muxer.RetimeAsync(joined, ts, video, cancellationToken).ConfigureAwait(false);
        }
        string muxed = Path.Combine(store.Directory, $"output{tag}.mkv");
        await muxer.MuxAsync(video, job.ReadPath, p.Probe, p.V, muxed, cancellationToken).ConfigureAwait(false);
        commands.AddRange(muxer.CommandLines);

        MediaProbe outProbe = await new VideoProber(tools).ProbeAsync(muxed, cancellationToken).ConfigureAwait(false);
        long framesOut = outProbe.Video?.Packets ?? 0;
        if (framesOut != p.Frames)
            throw new VideoException(Name, $"the output holds {framesOut} frames, the input {p.Frames}: refusing to deliver it");
        return (muxed, outProbe);
    }

    public VideoResult Result(PreparedVideo p, MediaProbe outProbe, SegmentRecord[] records, int resumed, List<string> commands, string engine, string precision) => new()
    {
        Name = Name, OutputPath = job.OutputPath, InputSha256 = p.InputSha, Frames = p.Frames, FramesOut = outProbe.Video?.Packets ?? 0,
        Decisions = p.D, Encoder = p.Plan, Probe = p.Probe, OutputProbe = outProbe, Segments = records,
        SegmentsResumed = resumed, FfmpegVersion = p.FfmpegVersion, CommandLines = commands,
        Engine = engine, Precision = precision, Options = job.Options, Scale = p.Scale,
    };

    /// <summary>The output is there with a sidecar naming this plan, and holds the bytes that sidecar records.</summary>
    public static bool Delivered(VideoPlan plan) => Delivered(plan.OutputPath, plan.Id);

    /// <param name="checkBytes">False: the sidecar naming the plan is enough (its output is there); true: the output also holds the bytes it records.</param>
    /// <remarks>Read by the common rule (<see cref="CompletedOutput.Delivered(string, string, bool)"/>): through the output folder's handle, regular files only, size-limited.</remarks>
    public static bool Delivered(string outputPath, string planId, bool checkBytes = true) => CompletedOutput.Delivered(outputPath, planId, checkBytes);

    private static bool IsVideoSidecar(string outputPath) => ProvenanceFile.TryRead(outputPath) is { Kind: "video", WrittenByUs: true };
}
