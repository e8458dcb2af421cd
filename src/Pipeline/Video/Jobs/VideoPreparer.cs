using System.Globalization;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Segments;
using ResShift.Pipeline.Video;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>What the input itself decides: the probe, the decisions and encoder, its sha256 and frame timestamps.</summary>
internal sealed record VideoSource(MediaProbe Probe, StreamProbe V, VideoDecisions D, EncoderPlan Plan, string FfmpegVersion, string InputSha, ulong VideoKey, long[] SortedPts);

/// <summary>Everything decided before a frame is decoded; the same input and options give the same values in any process.</summary>
internal sealed record PreparedVideo(
    MediaProbe Probe, StreamProbe V, VideoDecisions D, EncoderPlan Plan, string FfmpegVersion, string InputSha, ulong VideoKey,
    long[] SortedPts, int Scale, int PerSegment, IReadOnlyList<Segment> Segments, string SettingsKey)
{
    public long Frames => SortedPts.Length;
}

/// <summary>
/// Probes and decides a video job's input: what every step (the one-process run, the planner, a segment worker,
/// an assembler) starts from. The input is probed and hashed once per job: a planner that ends up restoring alone,
/// or a segment worker that goes on to assemble, asks again for the same input.
/// </summary>
internal sealed class VideoPreparer(VideoRestoreJob job, FfmpegTools tools)
{
    private VideoSource? _source;

    /// <param name="perSegment">The plan's segment size; null = from the options (or automatic).</param>
    public async Task<PreparedVideo> PrepareAsync(int scale, int lqTile, int? perSegment, CancellationToken cancellationToken)
    {
        VideoSource src = _source ??= await ProbeSourceAsync(cancellationToken).ConfigureAwait(false);
        VideoDecisions d = src.D;
        int tilesPerFrame = (int)Math.Ceiling(d.Width / (lqTile * 0.75)) * (int)Math.Ceiling(d.Height / (lqTile * 0.75));
        VideoJobOptions options = job.Options;
        int size = perSegment ?? (options.SegmentFrames > 0 ? options.SegmentFrames : SegmentPlan.AutoSize(d.FrameRate.Value, tilesPerFrame));
        IReadOnlyList<Segment> segments = SegmentPlan.Cut(src.SortedPts.Length, size);
        return new PreparedVideo(src.Probe, src.V, d, src.Plan, src.FfmpegVersion, src.InputSha, src.VideoKey, src.SortedPts, scale, size, segments, SettingsKey(src.Plan, scale));
    }

    private async Task<VideoSource> ProbeSourceAsync(CancellationToken cancellationToken)
    {
        string name = job.Name, readPath = job.ReadPath;
        if (!File.Exists(readPath)) throw new VideoException(name, "file not found");
        var prober = new VideoProber(tools);
        MediaProbe probe;
        try
        {
            probe = await prober.ProbeAsync(readPath, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolFailedException e)
        {
            throw new VideoException(name, "not a readable media file: " + e.StandardError, e);
        }
        StreamProbe v = probe.Video ?? throw new VideoException(name,
            probe.Streams.Count == 0 ? "no streams: not a video" : $"no video stream (the file has {Describe(probe)}): nothing to restore");
        // Refused from the probe, like an image from its header: a frame is never decoded past the limit.
        long pixels = (long)v.Width * v.Height;
        if (pixels > job.MaxPixels)
            throw new VideoException(name, $"refused: its frames are {v.Width}×{v.Height} = {pixels} pixels; the limit is {job.MaxPixels} pixels");
        List<long> packetPts;
        try
        {
            packetPts = await prober.PacketPtsAsync(readPath, v.Index, cancellationToken).ConfigureAwait(false);
        }
        catch (DamagedMediaException e)
        {
            throw new VideoException(name, e.Message, e);
        }
        if (packetPts.Count == 0) throw new VideoException(name, "the video stream has no frames");
        Hdr10Metadata? hdr10 = v.ColorTransfer is "smpte2084"
            ? await prober.ProbeHdr10Async(readPath, v.Index, cancellationToken).ConfigureAwait(false) : null;
        VideoDecisions d = VideoDecider.Decide(name, v, packetPts, hdr10, job.Options.Interlace);
        EncoderPlan plan = job.Options.Encoder.Resolve(d);
        string ffmpegVersion = await tools.VersionAsync(cancellationToken).ConfigureAwait(false);

        string inputSha = await SegmentStore.Sha256Async(readPath, cancellationToken).ConfigureAwait(false);
        ulong videoKey = new ContentKey(inputSha).NoiseKey;
        long[] sortedPts = [.. packetPts];
        Array.Sort(sortedPts);
        return new VideoSource(probe, v, d, plan, ffmpegVersion, inputSha, videoKey, sortedPts);
    }

    /// <summary>A step of a distributed job must see the video as its planner did; otherwise its segments would not join.</summary>
    public static void CheckAgainst(string name, VideoPlan plan, PreparedVideo p)
    {
        if (p.InputSha != plan.InputSha256)
            throw new VideoException(name, $"the input changed since the job was planned (sha256 {p.InputSha[..12]}…, planned {plan.InputSha256[..12]}…): send the job again");
        if (p.Frames != plan.Frames || p.Segments.Count != plan.Segments || p.SettingsKey != plan.SettingsKey)
            throw new VideoException(name, $"this worker decides the video differently from its planner ({p.Frames} frames in {p.Segments.Count} segments, settings '{p.SettingsKey}'; planned {plan.Frames} in {plan.Segments}, '{plan.SettingsKey}'): a different ffmpeg?");
    }

    private string SettingsKey(EncoderPlan plan, int scale)
    {
        VideoJobOptions o = job.Options;
        return string.Join('|',
            o.Model, scale.ToString(CultureInfo.InvariantCulture), o.Noise,
            o.Frame.Seed?.ToString(CultureInfo.InvariantCulture) ?? "-", o.Frame.NoiseScale?.ToString("R", CultureInfo.InvariantCulture) ?? "-",
            o.Frame.Overlap?.ToString(CultureInfo.InvariantCulture) ?? "-", o.Frame.Blend?.ToString() ?? "-",
            string.Join(' ', plan.Arguments));
    }

    private static string Describe(MediaProbe p) =>
        string.Join(", ", p.Streams.GroupBy(s => s.Kind).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
}
