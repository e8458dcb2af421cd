using System.Globalization;

namespace ResShift.Pipeline.Video.Codec;

public enum VideoCodec { Auto, X264, X265, SvtAv1, ProRes, Ffv1 }

/// <summary>
/// The encoder chosen per CLI, watch root or message. Auto picks x265 10-bit for HDR and sources above 8 bits,
/// x264 CRF 16 otherwise; a combination that cannot work is refused with the reason before any frame is decoded.
/// </summary>
public sealed record EncoderSettings
{
    public VideoCodec Codec { get; init; } = VideoCodec.Auto;
    /// <summary>Constant rate factor (x264/x265/SVT-AV1); null = the codec's default here (16 for x264, 18 for x265, 30 for SVT-AV1).</summary>
    public int? Crf { get; init; }
    public string Preset { get; init; } = "medium";
    /// <summary>Output pixel format; null = from the codec and source depth.</summary>
    public string? PixelFormat { get; init; }

    public static EncoderSettings Default { get; } = new();

    /// <summary>
    /// The encoders' thread count, the same on every machine so that a segment's bytes do not depend on where it was
    /// encoded (the encoder is a small share of a video's cost next to the model, so 8 threads is plenty).
    /// </summary>
    public const string EncoderThreads = "8";

    /// <summary>x264/x265 preset names; SVT-AV1 takes a number 0 (slowest) to 13 (fastest).</summary>
    public static readonly IReadOnlyList<string> X26xPresets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"];

    /// <summary>Pixel formats each encoder takes here (Debian's ffmpeg 5.1 builds).</summary>
    public static IReadOnlyList<string> PixelFormatsOf(VideoCodec codec) => codec switch
    {
        VideoCodec.X264 => ["yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le"],
        VideoCodec.X265 => ["yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le", "yuv420p12le", "yuv422p12le", "yuv444p12le"],
        VideoCodec.SvtAv1 => ["yuv420p", "yuv420p10le"],
        VideoCodec.ProRes => ["yuv422p10le", "yuv444p10le"],
        VideoCodec.Ffv1 => ["yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le", "yuv420p12le", "yuv422p12le", "yuv444p12le", "yuv444p16le"],
        _ => [.. Enum.GetValues<VideoCodec>().Where(c => c != VideoCodec.Auto).SelectMany(PixelFormatsOf).Distinct()],
    };

    /// <summary>
    /// What is wrong with these settings whatever the source (a CRF for ProRes or FFV1, a CRF out of the codec's
    /// range, a preset or pixel format the encoder does not take): one line each, empty when none. Start-up refuses
    /// a configuration with any; <see cref="Resolve"/> adds what only the source can tell (HDR, bit depth).
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        string name = CodecName(Codec);
        if (Crf is { } c)
        {
            if (Codec == VideoCodec.ProRes) p.Add("ProRes has no CRF: choose its profile through the pixel format (yuv422p10le = HQ, yuv444p10le = 4444) or use x264/x265");
            else if (Codec == VideoCodec.Ffv1) p.Add("FFV1 is lossless: it takes no CRF");
            else if (Codec is VideoCodec.X264 or VideoCodec.X265 && c is < 0 or > 51) p.Add($"CRF {c} is out of range for {name} (0..51)");
            else if (c is < 0 or > 63) p.Add($"CRF {c} is out of range for {name} (0..63)");
        }
        if (Codec is VideoCodec.ProRes or VideoCodec.Ffv1 && Preset != "medium")
            p.Add($"{name} has no preset (got '{Preset}'); presets apply to x264, x265 (names) and svt-av1 (0..13)");
        else if (Codec == VideoCodec.SvtAv1 && Preset != "medium" && !(int.TryParse(Preset, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n <= 13))
            p.Add($"svt-av1 takes a preset from 0 (slowest) to 13 (fastest), not '{Preset}'");
        else if (Codec is VideoCodec.Auto or VideoCodec.X264 or VideoCodec.X265 && !X26xPresets.Contains(Preset))
            p.Add($"'{Preset}' is not an x264/x265 preset ({string.Join(", ", X26xPresets)})");
        if (PixelFormat is { } f && !PixelFormatsOf(Codec).Contains(f))
            p.Add($"{name} does not take pixel format '{f}' (it takes {string.Join(", ", PixelFormatsOf(Codec))})");
        return p;
    }

    /// <summary>The name a codec is configured by (the inverse of <see cref="ParseCodec"/>).</summary>
    public static string CodecName(VideoCodec codec) => codec switch
    {
        VideoCodec.SvtAv1 => "svt-av1",
        _ => codec.ToString().ToLowerInvariant(),
    };

    /// <summary>The codec names <see cref="ParseCodec"/> takes (for messages and "did you mean").</summary>
    public static readonly IReadOnlyList<string> CodecNames = ["auto", "x264", "x265", "svt-av1", "prores", "ffv1"];

    public static VideoCodec ParseCodec(string text) => text.ToLowerInvariant() switch
    {
        "auto" => VideoCodec.Auto,
        "x264" or "h264" or "libx264" => VideoCodec.X264,
        "x265" or "hevc" or "h265" or "libx265" => VideoCodec.X265,
        "svt-av1" or "svtav1" or "av1" or "libsvtav1" => VideoCodec.SvtAv1,
        "prores" or "prores_ks" => VideoCodec.ProRes,
        "ffv1" => VideoCodec.Ffv1,
        _ => throw new ArgumentException($"unknown video codec '{text}' (auto, x264, x265, svt-av1, prores, ffv1)"),
    };

    /// <summary>The concrete codec and its arguments for this source; throws <see cref="ArgumentException"/> with the reason where they cannot work.</summary>
    public EncoderPlan Resolve(VideoDecisions d)
    {
        VideoCodec codec = Codec != VideoCodec.Auto ? Codec : d.Hdr || d.BitDepth > 8 ? VideoCodec.X265 : VideoCodec.X264;
        bool deep = d.Hdr || d.BitDepth > 8;
        string pixfmt = PixelFormat ?? codec switch
        {
            VideoCodec.ProRes => "yuv422p10le",
            VideoCodec.Ffv1 => deep ? "yuv444p10le" : "yuv444p",
            _ => deep ? "yuv420p10le" : "yuv420p",
        };
        if (d.Hdr && !pixfmt.Contains("10") && !pixfmt.Contains("12"))
            throw new ArgumentException($"an HDR source needs a 10-bit pixel format; {pixfmt} would band and lose the HDR signal");
        if ((this with { Codec = codec }).Problems() is [var first, ..])
            throw new ArgumentException(first);
        if (d.Hdr && codec is VideoCodec.X264 or VideoCodec.ProRes or VideoCodec.Ffv1)
            throw new ArgumentException($"HDR10 metadata (mastering display, content light level) is written only by x265 and SVT-AV1 here, not {codec}");
        int? crf = Crf ?? codec switch { VideoCodec.X264 => 16, VideoCodec.X265 => 18, VideoCodec.SvtAv1 => 30, _ => null };
        if (crf is < 0 or > 63 || (codec is VideoCodec.X264 or VideoCodec.X265 && crf > 51))
            throw new ArgumentException($"CRF {crf} is out of range for {codec}");

        var args = new List<string> { "-pix_fmt", pixfmt };
        string Crf1() => crf!.Value.ToString(CultureInfo.InvariantCulture);
        switch (codec)
        {
            case VideoCodec.X264:
                // A fixed thread count: x264's output depends on it, and "auto" follows the CPUs the process may use,
                // so segments encoded on different machines (or under another CPU quota) would differ in bytes.
                args.AddRange(["-c:v", "libx264", "-crf", Crf1(), "-preset", Preset, "-threads", EncoderThreads]);
                break;
            case VideoCodec.X265:
                string x265 = $"log-level=error:frame-threads=4:pools={EncoderThreads}"; // fixed, as for x264
                if (d.Hdr)
                {
                    x265 += $":hdr10=1:repeat-headers=1:colorprim={d.PrimariesTag}:transfer={d.TransferTag}:colormatrix={d.ColorSpaceTag}";
                    if (d.Hdr10 is { } h)
                    {
                        x265 += ":master-display=" + h.X265MasterDisplay;
                        if (h.MaxContent is { } mc) x265 += $":max-cll={mc},{h.MaxAverage ?? 0}";
                    }
                }
                args.AddRange(["-c:v", "libx265", "-crf", Crf1(), "-preset", Preset, "-x265-params", x265]);
                break;
            case VideoCodec.SvtAv1:
                args.AddRange(["-c:v", "libsvtav1", "-crf", Crf1(), "-preset", Preset == "medium" ? "8" : Preset]);
                break;
            case VideoCodec.ProRes:
                args.AddRange(["-c:v", "prores_ks", "-profile:v", pixfmt.StartsWith("yuv444", StringComparison.Ordinal) ? "4" : "3"]);
                break;
            case VideoCodec.Ffv1:
                args.AddRange(["-c:v", "ffv1", "-level", "3"]);
                break;
        }
        return new EncoderPlan(codec, pixfmt, crf, args);
    }
}

/// <summary>The resolved encoder: what the sidecar records and the encoder's ffmpeg arguments.</summary>
public sealed record EncoderPlan(VideoCodec Codec, string PixelFormat, int? Crf, IReadOnlyList<string> Arguments);
