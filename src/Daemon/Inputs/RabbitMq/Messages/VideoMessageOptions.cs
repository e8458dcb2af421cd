using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;

namespace ResShift.Daemon.Inputs.RabbitMq.Messages;

/// <summary>
/// A message's <c>"video"</c> object: encoder settings, noise mode, segment size and whether the job may be split
/// into segment messages. Null fields keep the defaults (the queue's <c>SplitVideos</c> for <see cref="Split"/>).
/// Checked when parsed as far as the message alone allows; combinations that depend on the source (an HDR source
/// with an 8-bit format) are refused when the video is planned, and dead-lettered with that reason.
/// </summary>
public sealed record VideoMessageOptions
{
    public VideoCodec? Codec { get; init; }
    public int? Crf { get; init; }
    public string? Preset { get; init; }
    public string? PixelFormat { get; init; }
    public NoiseMode? Noise { get; init; }
    public int? SegmentFrames { get; init; }
    public bool? Split { get; init; }

    public static NoiseMode? ParseNoise(string text) => text switch
    {
        "shared" => NoiseMode.Shared,
        "per-frame" => NoiseMode.PerFrame,
        "zero" => NoiseMode.Zero,
        _ => null,
    };

    /// <summary>The job's options with these applied over <paramref name="defaults"/>.</summary>
    public VideoJobOptions Apply(VideoJobOptions defaults) => defaults with
    {
        Encoder = defaults.Encoder with
        {
            Codec = Codec ?? defaults.Encoder.Codec,
            Crf = Crf ?? defaults.Encoder.Crf,
            Preset = Preset ?? defaults.Encoder.Preset,
            PixelFormat = PixelFormat ?? defaults.Encoder.PixelFormat,
        },
        Noise = Noise ?? defaults.Noise,
        SegmentFrames = SegmentFrames ?? defaults.SegmentFrames,
    };
}
