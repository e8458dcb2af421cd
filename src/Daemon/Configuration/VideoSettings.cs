using System.Globalization;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;

namespace ResShift.Daemon.Configuration;

/// <summary>
/// How videos are encoded: the daemon's defaults (<c>Video</c> at the top of the configuration) and a watch root's
/// own (<c>Watch[i].Video</c>), which override the defaults key by key. Every key is optional; unset ones take the
/// product defaults (auto codec: x265 10-bit for HDR and deep sources, x264 CRF 16 otherwise; shared noise;
/// bwdif deinterlacing; segments of at most 10 s; MKV). Checked at start-up: a bad value or a combination that
/// cannot work whatever the source (ProRes with a CRF) stops the daemon with the reason.
/// </summary>
public sealed class VideoSettings
{
    /// <summary>auto, x264, x265, svt-av1, prores or ffv1.</summary>
    public string? Codec { get; set; }

    /// <summary>Constant rate factor: x264/x265 0..51, svt-av1 0..63; none for prores and ffv1.</summary>
    public int? Crf { get; set; }

    /// <summary>x264/x265 preset name (medium), or svt-av1 0..13.</summary>
    public string? Preset { get; set; }

    /// <summary>Output pixel format (yuv420p, yuv420p10le, yuv422p10le, ...); unset: from the codec and the source depth.</summary>
    public string? PixelFormat { get; set; }

    /// <summary>shared (one noise field per video), per-frame or zero.</summary>
    public string? NoiseMode { get; set; }

    /// <summary>deinterlace (bwdif) or refuse.</summary>
    public string? Interlaced { get; set; }

    /// <summary>Frames per resumable segment; 0 = at most 10 s of video and about 2000 tiles of work.</summary>
    public int? SegmentFrames { get; set; }

    /// <summary>mkv (default) or same: the input's container when it can hold every stream and the codec, else MKV (the sidecar says why).</summary>
    public string? Container { get; set; }

    public static readonly IReadOnlyList<string> NoiseModes = ["shared", "per-frame", "zero"];
    public static readonly IReadOnlyList<string> InterlaceModes = ["deinterlace", "refuse"];

    /// <summary>These settings with every unset key taken from <paramref name="defaults"/>.</summary>
    public VideoSettings Over(VideoSettings? defaults) => defaults is null ? this : new VideoSettings
    {
        Codec = Codec ?? defaults.Codec,
        Crf = Crf ?? defaults.Crf,
        Preset = Preset ?? defaults.Preset,
        PixelFormat = PixelFormat ?? defaults.PixelFormat,
        NoiseMode = NoiseMode ?? defaults.NoiseMode,
        Interlaced = Interlaced ?? defaults.Interlaced,
        SegmentFrames = SegmentFrames ?? defaults.SegmentFrames,
        Container = Container ?? defaults.Container,
    };

    /// <summary>One line per problem, each starting with <paramref name="where"/>; empty when the settings can be used.</summary>
    public IReadOnlyList<string> Problems(string where)
    {
        var p = new List<string>();
        void Enum(string key, string? value, IReadOnlyList<string> allowed)
        {
            if (value is null || allowed.Contains(value.ToLowerInvariant())) return;
            string? near = Suggestion.Closest(value, allowed);
            p.Add($"{where}: Video.{key} '{value}' is not one of {string.Join(", ", allowed)}" + (near is null ? "" : $"; did you mean '{near}'?"));
        }
        if (Codec is not null)
        {
            try { _ = EncoderSettings.ParseCodec(Codec); }
            catch (ArgumentException) { Enum(nameof(Codec), Codec, EncoderSettings.CodecNames); }
        }
        Enum(nameof(NoiseMode), NoiseMode, NoiseModes);
        Enum(nameof(Interlaced), Interlaced, InterlaceModes);
        Enum(nameof(Container), Container, ContainerChoice.Modes);
        if (SegmentFrames is < 0) p.Add($"{where}: Video.SegmentFrames must be >= 0 (0 = at most 10 s of video; got {SegmentFrames})");
        if (p.Count == 0)
            p.AddRange(Encoder().Problems().Select(e => $"{where}: Video: {e}"));
        return p;
    }

    /// <summary>The encoder these settings ask for (call after <see cref="Problems"/> found none).</summary>
    public EncoderSettings Encoder() => new()
    {
        Codec = EncoderSettings.ParseCodec(Codec ?? "auto"),
        Crf = Crf,
        Preset = Preset ?? EncoderSettings.Default.Preset,
        PixelFormat = PixelFormat,
    };

    public ContainerMode ContainerMode => ContainerChoice.ParseMode(Container ?? "mkv");

    /// <summary>The options of one video job with these settings.</summary>
    public VideoJobOptions ToOptions(string model, JobSettings frame, string source) => new()
    {
        Encoder = Encoder(),
        Noise = (NoiseMode ?? "shared").ToLowerInvariant() switch
        {
            "per-frame" => Pipeline.Video.NoiseMode.PerFrame,
            "zero" => Pipeline.Video.NoiseMode.Zero,
            _ => Pipeline.Video.NoiseMode.Shared,
        },
        Interlace = (Interlaced ?? "deinterlace").Equals("refuse", StringComparison.OrdinalIgnoreCase) ? InterlacePolicy.Refuse : InterlacePolicy.Deinterlace,
        SegmentFrames = SegmentFrames ?? 0,
        Model = model,
        Frame = frame,
        Source = source,
    };

    /// <summary>The effective settings as recorded in the sidecar (unset keys shown with the default they take).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
    [
        new("codec", (Codec ?? "auto").ToLowerInvariant()),
        new("crf", Crf?.ToString(CultureInfo.InvariantCulture) ?? "default"),
        new("preset", Preset ?? EncoderSettings.Default.Preset),
        new("pixel_format", PixelFormat ?? "auto"),
        new("noise_mode", (NoiseMode ?? "shared").ToLowerInvariant()),
        new("interlaced", (Interlaced ?? "deinterlace").ToLowerInvariant()),
        new("segment_frames", (SegmentFrames ?? 0).ToString(CultureInfo.InvariantCulture)),
        new("container", (Container ?? "mkv").ToLowerInvariant()),
    ];
}
