using System.Text.Json;
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
    public static byte[] Write(VideoResult r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("kind", "video");
            w.WriteString("input", r.Name);
            w.WriteString("inputSha256", r.InputSha256);
            w.WriteString("output", Path.GetFileName(r.OutputPath));
            w.WriteString("model", r.Options.Model);
            w.WriteString("engine", r.Engine);
            w.WriteString("precision", r.Precision);
            w.WriteString("noiseMode", r.Options.Noise.ToString().ToLowerInvariant());
            if (r.Options.Frame.Seed is { } seed) w.WriteNumber("seed", seed);
            if (r.Options.Frame.NoiseScale is { } ns) w.WriteNumber("noiseScale", ns);
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
            w.WriteString("matrixReason", d.MatrixReason);
            w.WriteString("range", d.Range);
            w.WriteString("primaries", d.PrimariesTag);
            w.WriteString("transfer", d.TransferTag);
            w.WriteString("colorspace", d.ColorSpaceTag);
            w.WriteNumber("bitDepth", d.BitDepth);
            w.WriteString("rawPixelFormat", d.RawPixelFormat);
            w.WriteString("timing", d.VfrMode);
            w.WriteNumber("rotation", d.Rotation);
            w.WriteNumber("width", d.Width);
            w.WriteNumber("height", d.Height);
            w.WriteBoolean("interlaced", d.Interlaced);
            w.WriteString("deinterlace", d.Deinterlace ? "bwdif (one frame per frame)" : "none");
            w.WriteBoolean("hdr", d.Hdr);
            if (d.Hdr10 is { } h)
            {
                w.WriteString("masterDisplay", h.X265MasterDisplay);
                if (h.MaxContent is { } mc) w.WriteString("maxCll", $"{mc},{h.MaxAverage ?? 0}");
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
            w.WriteString("pixelFormat", r.Encoder.PixelFormat);
            if (r.Encoder.Crf is { } crf) w.WriteNumber("crf", crf);
            w.WriteString("container", "matroska");
            w.WriteEndObject();

            w.WriteStartArray("segments");
            foreach (SegmentRecord s in r.Segments)
            {
                w.WriteStartObject();
                w.WriteNumber("index", s.Index);
                w.WriteNumber("firstFrame", s.FirstFrame);
                w.WriteNumber("frames", s.Frames);
                w.WriteNumber("firstPts", s.FirstPts);
                w.WriteNumber("lastPts", s.LastPts);
                w.WriteString("sha256", s.OutputSha256);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("segmentsResumed", r.SegmentsResumed);

            w.WriteStartObject("streamMap");
            w.WriteString("video", "restored");
            w.WriteString("others", "copied without re-encoding (every audio, subtitle, attachment and data stream), chapters and global metadata copied");
            w.WriteStartArray("dropped");
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteStartArray("commandLines");
            foreach (string c in r.CommandLines) w.WriteStringValue(c);
            w.WriteEndArray();

            w.WriteStartObject("checks");
            w.WriteNumber("framesIn", r.Frames);
            w.WriteNumber("framesOut", r.FramesOut);
            w.WriteNumber("streamsIn", r.Probe.Streams.Count);
            w.WriteNumber("streamsOut", r.OutputProbe.Streams.Count);
            w.WriteNumber("chaptersOut", r.OutputProbe.Chapters.Count);
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
                if (s.PixelFormat is not null) w.WriteString("pixelFormat", s.PixelFormat);
                w.WriteString("frameRate", s.RFrameRate.ToString());
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
