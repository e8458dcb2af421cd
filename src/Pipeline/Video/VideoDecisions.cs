using ResShift.Pipeline.Video.Probing;

namespace ResShift.Pipeline.Video;

/// <summary>What to do when a source is interlaced.</summary>
public enum InterlacePolicy { Deinterlace, Refuse }

/// <summary>How frames of one video get their diffusion noise (see <see cref="Jobs.VideoFrameJob"/>).</summary>
public enum NoiseMode { Shared, PerFrame, Zero }

/// <summary>
/// Every choice made from the probe, recorded in the sidecar: the colour conversion on decode and the tags
/// written on encode, the bit depth of the raw frames, timing (CFR at a rate or VFR with kept pts), rotation,
/// deinterlacing and HDR10.
/// </summary>
public sealed record VideoDecisions
{
    /// <summary>The scale filter's matrix name (bt709, bt601, bt2020, smpte240m, fcc) for the YUV↔RGB conversion.</summary>
    public required string Matrix { get; init; }
    /// <summary>Why that matrix: "tagged", "untagged HD → bt709", "untagged SD → bt601".</summary>
    public required string MatrixReason { get; init; }
    /// <summary>tv (limited) or pc (full).</summary>
    public required string Range { get; init; }
    /// <summary>Tags written on encode: -colorspace, -color_primaries, -color_trc.</summary>
    public required string ColorSpaceTag { get; init; }
    public required string PrimariesTag { get; init; }
    public required string TransferTag { get; init; }
    /// <summary>Bits per sample of the source (8, 10, 12).</summary>
    public required int BitDepth { get; init; }
    /// <summary>rgb24 for 8-bit sources, rgb48le above (the model sees 16-bit samples).</summary>
    public string RawPixelFormat => BitDepth > 8 ? "rgb48le" : "rgb24";
    public int BytesPerSample => BitDepth > 8 ? 2 : 1;
    /// <summary>Frame geometry after rotation (what the decoder writes).</summary>
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int Rotation { get; init; }
    public required bool Vfr { get; init; }
    /// <summary>The frame rate of a CFR source (r_frame_rate); for VFR, the nominal rate.</summary>
    public required Rational FrameRate { get; init; }
    public required bool Interlaced { get; init; }
    public required bool Deinterlace { get; init; }
    public required bool Hdr { get; init; }
    public Hdr10Metadata? Hdr10 { get; init; }

    public string VfrMode => Vfr ? "vfr: source timestamps kept" : $"cfr {FrameRate}";
}

/// <summary>Derives <see cref="VideoDecisions"/> from a probe, per docs in spec/video.md (untagged: BT.709 if HD, else BT.601).</summary>
public static class VideoDecider
{
    public static VideoDecisions Decide(string name, StreamProbe v, IReadOnlyList<long> packetPts, Hdr10Metadata? hdr10, InterlacePolicy interlace)
    {
        if (v.Width <= 0 || v.Height <= 0) throw new VideoException(name, "the video stream has no frame size");
        bool hd = v.Height >= 720 || v.Width >= 1280;
        (string matrix, string reason) = MatrixOf(v.ColorSpace) is { } tagged
            ? (tagged, "tagged " + v.ColorSpace)
            : hd ? ("bt709", "untagged HD (height >= 720 or width >= 1280) -> bt709") : ("bt601", "untagged SD -> bt601");
        string range = v.ColorRange is "pc" or "jpeg" ? "pc" : "tv";
        string spaceTag = v.ColorSpace is { } cs && MatrixOf(cs) is not null ? cs : matrix switch
        {
            "bt709" => "bt709", "bt2020" => "bt2020nc", _ => "smpte170m",
        };
        string primaries = Known(v.ColorPrimaries) ?? matrix switch { "bt709" => "bt709", "bt2020" => "bt2020", _ => "smpte170m" };
        string transfer = Known(v.ColorTransfer) ?? matrix switch { "bt709" => "bt709", "bt2020" => "bt2020-10", _ => "smpte170m" };
        int bits = BitDepthOf(v);
        int rotation = ((v.Rotation % 360) + 360) % 360;
        bool swap = rotation is 90 or 270;
        bool interlaced = v.FieldOrder is "tt" or "bb" or "tb" or "bt";
        if (interlaced && interlace == InterlacePolicy.Refuse)
            throw new VideoException(name, $"the video is interlaced (field order {v.FieldOrder}) and interlaced sources are refused (deinterlace option off)");
        bool hdr = transfer is "smpte2084" or "arib-std-b67";
        Rational rate = v.RFrameRate.IsValid ? v.RFrameRate : v.AvgFrameRate;
        return new VideoDecisions
        {
            Matrix = matrix, MatrixReason = reason, Range = range,
            ColorSpaceTag = spaceTag, PrimariesTag = primaries, TransferTag = transfer,
            BitDepth = bits,
            Width = swap ? v.Height : v.Width, Height = swap ? v.Width : v.Height, Rotation = rotation,
            Vfr = IsVariable(packetPts), FrameRate = rate,
            Interlaced = interlaced, Deinterlace = interlaced,
            Hdr = hdr, Hdr10 = hdr ? hdr10 : null,
        };
    }

    /// <summary>
    /// VFR from the packets' sorted pts deltas (r_frame_rate and avg_frame_rate both read 25/1 on a real VFR MKV):
    /// variable when the spread of the deltas exceeds both 2 ticks (time-base rounding at 24000/1001 in ms) and 5 %.
    /// </summary>
    public static bool IsVariable(IReadOnlyList<long> packetPts)
    {
        if (packetPts.Count < 3) return false;
        long[] sorted = [.. packetPts];
        Array.Sort(sorted);
        long min = long.MaxValue, max = long.MinValue;
        for (int i = 1; i < sorted.Length; i++)
        {
            long d = sorted[i] - sorted[i - 1];
            min = Math.Min(min, d);
            max = Math.Max(max, d);
        }
        return max - min > 2 && max - min > 0.05 * max;
    }

    private static string? MatrixOf(string? colorSpace) => colorSpace switch
    {
        "bt709" => "bt709",
        "smpte170m" or "bt470bg" => "bt601",
        "bt2020nc" or "bt2020c" => "bt2020",
        "smpte240m" => "smpte240m",
        "fcc" => "fcc",
        _ => null,
    };

    private static string? Known(string? tag) => tag is null or "unknown" or "reserved" or "unspecified" ? null : tag;

    private static int BitDepthOf(StreamProbe v)
    {
        if (v.BitsPerRawSample is > 0 and var b) return b;
        string pf = v.PixelFormat ?? "";
        if (pf.Contains("12")) return 12;
        if (pf.Contains("10")) return 10;
        if (pf.Contains("16")) return 16;
        return 8;
    }
}
