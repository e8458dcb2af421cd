using System.CommandLine;
using ResShift.Daemon.Configuration;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;

namespace ResShift.Daemon.Cli;

/// <summary>The video options of <c>restore</c>: encoder, noise mode, interlace policy, segment size, container.</summary>
public sealed class VideoOptions
{
    public Option<string> Codec { get; } = new("--codec") { Description = "Video encoder: auto (x265 10-bit for HDR, else x264), x264, x265, svt-av1, prores, ffv1", DefaultValueFactory = _ => "auto" };
    public Option<int?> Crf { get; } = new("--crf") { Description = "Constant rate factor (default: 16 for x264, 18 for x265)" };
    public Option<string> Preset { get; } = new("--preset") { Description = "x264/x265 preset", DefaultValueFactory = _ => "medium" };
    public Option<string?> PixelFormat { get; } = new("--pix-fmt") { Description = "Output pixel format (default: from codec and source depth)" };
    public Option<string> NoiseMode { get; } = new("--noise-mode") { Description = "shared (one noise field per video, default), per-frame or zero", DefaultValueFactory = _ => "shared" };
    public Option<string> Interlaced { get; } = new("--interlaced") { Description = "deinterlace (bwdif, default) or refuse", DefaultValueFactory = _ => "deinterlace" };
    public Option<int> SegmentFrames { get; } = new("--segment-frames") { Description = "Frames per resumable segment (0 = at most 10 s of video)" };

    public Option<string> Container { get; } = CreateContainer();

    public IEnumerable<Option> All => [Codec, Crf, Preset, PixelFormat, NoiseMode, Interlaced, SegmentFrames, Container];

    /// <summary>The container mode asked for (the option's validator has refused anything else at parse time).</summary>
    public ContainerMode Mode(ParseResult parse) => ContainerChoice.ParseMode(parse.GetValue(Container)!);

    /// <summary>The options as watch-root settings: what the sidecar records as <c>video_settings</c>, as for watch roots.</summary>
    public VideoSettings Settings(ParseResult parse) => new()
    {
        Codec = parse.GetValue(Codec),
        Crf = parse.GetValue(Crf),
        Preset = parse.GetValue(Preset),
        PixelFormat = parse.GetValue(PixelFormat),
        NoiseMode = parse.GetValue(NoiseMode),
        Interlaced = parse.GetValue(Interlaced),
        SegmentFrames = parse.GetValue(SegmentFrames),
        Container = parse.GetValue(Container)!.ToLowerInvariant(),
    };

    private static Option<string> CreateContainer()
    {
        var o = new Option<string>("--container")
        {
            Description = "mkv (default) or same: the input's container (mp4, mov, webm) when it can carry the restored codec and " +
                "every copied stream, remuxed without re-encoding; otherwise MKV, and the sidecar and a printed line say why",
            DefaultValueFactory = _ => "mkv",
        };
        // A usage error (exit 2) at parse time, before any model is loaded.
        o.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (value is null || !ContainerChoice.Modes.Contains(value.ToLowerInvariant()))
                r.AddError($"--container must be one of {string.Join(", ", ContainerChoice.Modes)}, got '{value}'");
        });
        return o;
    }

    public VideoJobOptions Build(ParseResult parse, string model, JobSettings frame) => new()
    {
        Encoder = new EncoderSettings
        {
            Codec = EncoderSettings.ParseCodec(parse.GetValue(Codec)!),
            Crf = parse.GetValue(Crf),
            Preset = parse.GetValue(Preset)!,
            PixelFormat = parse.GetValue(PixelFormat),
        },
        Noise = ParseNoise(parse.GetValue(NoiseMode)!),
        Interlace = parse.GetValue(Interlaced)!.ToLowerInvariant() switch
        {
            "deinterlace" => InterlacePolicy.Deinterlace,
            "refuse" => InterlacePolicy.Refuse,
            var other => throw new ArgumentException($"--interlaced must be deinterlace or refuse, got '{other}'"),
        },
        SegmentFrames = parse.GetValue(SegmentFrames) >= 0 ? parse.GetValue(SegmentFrames) : throw new ArgumentException("--segment-frames must be >= 0"),
        Model = model,
        Frame = frame,
        Source = "cli",
    };

    public static NoiseMode ParseNoise(string text) => text.ToLowerInvariant() switch
    {
        "shared" => Pipeline.Video.NoiseMode.Shared,
        "per-frame" or "perframe" => Pipeline.Video.NoiseMode.PerFrame,
        "zero" => Pipeline.Video.NoiseMode.Zero,
        _ => throw new ArgumentException($"--noise-mode must be shared, per-frame or zero, got '{text}'"),
    };
}
