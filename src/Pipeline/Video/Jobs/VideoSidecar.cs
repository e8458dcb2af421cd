using System.Text.Json;
using System.Text.Json.Nodes;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Segments;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// The provenance sidecar of a restored video (<c>OUTPUT.resshift.json</c>): input digest, engine, noise, the
/// probe summary, every decision, the encoder, the segment table, the stream map, ffmpeg's version and every
/// command line run, and the final checks.
/// </summary>
public static class VideoSidecar
{
    /// <summary>The sidecar: the common fields of every kind (<see cref="ProvenanceSidecar"/>) and the "video" block.</summary>
    public static byte[] Write(VideoResult r) => new ProvenanceSidecar
    {
        Kind = "video",
        Key = new ProvenanceKey { Model = r.Options.Model, Seed = r.Options.Frame.Seed ?? 0, NoiseScale = r.Options.Frame.NoiseScale },
        InputName = r.Name,
        InputSha256 = r.InputSha256,
        InputWidth = r.Decisions.Width,
        InputHeight = r.Decisions.Height,
        OutputName = Path.GetFileName(r.OutputPath),
        OutputWidth = r.Decisions.Width * r.Scale,
        OutputHeight = r.Decisions.Height * r.Scale,
        EngineName = r.Engine,
        EnginePrecision = r.Precision,
        Block = JsonNode.Parse(Block(r))!.AsObject(),
    }.ToUtf8();

    /// <summary>What only a video has: the probe summary, every decision, the encoder, the segment table, the plan, the stream map, ffmpeg and its command lines, the checks.</summary>
    private static byte[] Block(VideoResult r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("noise_mode", r.Options.Noise switch { NoiseMode.PerFrame => "per-frame", var m => m.ToString().ToLowerInvariant() });
            w.WriteString("ffmpeg", r.FfmpegVersion);

            w.WriteStartObject("probe");
            w.WriteString("format", r.Probe.FormatName);
            if (r.Probe.Duration is { } dur) w.WriteNumber("duration", dur);
            WriteStreams(w, r.Probe.Streams);
            w.WriteNumber("chapters", r.Probe.Chapters.Count);
            w.WriteEndObject();

            VideoDecisions d = r.Decisions;
            w.WriteStartObject("decisions");
            w.WriteString("matrix", d.Matrix);
            w.WriteString("matrix_reason", d.MatrixReason);
            w.WriteString("range", d.Range);
            w.WriteString("primaries", d.PrimariesTag);
            w.WriteString("transfer", d.TransferTag);
            w.WriteString("colorspace", d.ColorSpaceTag);
            w.WriteNumber("bit_depth", d.BitDepth);
            w.WriteString("raw_pixel_format", d.RawPixelFormat);
            w.WriteString("timing", d.VfrMode);
            w.WriteNumber("rotation", d.Rotation);
            w.WriteNumber("width", d.Width);
            w.WriteNumber("height", d.Height);
            w.WriteBoolean("interlaced", d.Interlaced);
            w.WriteString("deinterlace", d.Deinterlace ? "bwdif (one frame per frame)" : "none");
            w.WriteBoolean("hdr", d.Hdr);
            if (d.Hdr10 is { } h)
            {
                w.WriteString("master_display", h.X265MasterDisplay);
                if (h.MaxContent is { } mc) w.WriteString("max_cll", $"{mc},{h.MaxAverage ?? 0}");
            }
            w.WriteString("noise", r.Options.Noise switch
            {
                NoiseMode.Shared => "one noise field for every frame (keyed by seed and the video's sha256): no flicker from noise, texture may stick on motion",
                NoiseMode.PerFrame => "a noise field per frame (seed, video, frame index)",
                _ => "noise scale 0 (posterior mean)",
            });
            w.WriteEndObject();

            w.WriteStartObject("encoder");
            w.WriteString("codec", r.Encoder.Codec.ToString().ToLowerInvariant());
            w.WriteString("pixel_format", r.Encoder.PixelFormat);
            if (r.Encoder.Crf is { } crf) w.WriteNumber("crf", crf);
            w.WriteString("container", "matroska");
            w.WriteEndObject();

            w.WriteStartArray("segments");
            foreach (SegmentRecord s in r.Segments)
            {
                w.WriteStartObject();
                w.WriteNumber("index", s.Index);
                w.WriteNumber("first_frame", s.FirstFrame);
                w.WriteNumber("frames", s.Frames);
                w.WriteNumber("first_pts", s.FirstPts);
                w.WriteNumber("last_pts", s.LastPts);
                w.WriteString("sha256", s.OutputSha256);
                if (s.Worker is not null) w.WriteString("worker", s.Worker);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("segments_resumed", r.SegmentsResumed);
            if (r.PlanId is not null)
            {
                w.WriteStartObject("plan");
                w.WriteString("id", r.PlanId);
                w.WriteString("output_sha256", r.OutputSha256);
                w.WriteEndObject();
            }

            w.WriteStartObject("stream_map");
            w.WriteString("video", "restored");
            w.WriteString("others", "copied without re-encoding (every audio, subtitle, attachment and data stream), chapters and global metadata copied");
            w.WriteStartArray("dropped");
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteStartArray("command_lines");
            foreach (string c in r.CommandLines) w.WriteStringValue(c);
            w.WriteEndArray();

            w.WriteStartObject("checks");
            w.WriteNumber("frames_in", r.Frames);
            w.WriteNumber("frames_out", r.FramesOut);
            w.WriteNumber("streams_in", r.Probe.Streams.Count);
            w.WriteNumber("streams_out", r.OutputProbe.Streams.Count);
            w.WriteNumber("chapters_out", r.OutputProbe.Chapters.Count);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteStreams(Utf8JsonWriter w, IReadOnlyList<StreamProbe> streams)
    {
        w.WriteStartArray("streams");
        foreach (StreamProbe s in streams)
        {
            w.WriteStartObject();
            w.WriteNumber("index", s.Index);
            w.WriteString("kind", s.Kind.ToString().ToLowerInvariant());
            if (s.Codec is not null) w.WriteString("codec", s.Codec);
            if (s.Language is not null) w.WriteString("language", s.Language);
            if (s.FileName is not null) w.WriteString("filename", s.FileName);
            if (s.Kind == StreamKind.Video)
            {
                w.WriteNumber("width", s.Width);
                w.WriteNumber("height", s.Height);
                if (s.PixelFormat is not null) w.WriteString("pixel_format", s.PixelFormat);
                w.WriteString("frame_rate", s.RFrameRate.ToString());
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
