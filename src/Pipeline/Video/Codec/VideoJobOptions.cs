using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Video.Codec;

/// <summary>Per-video choices: encoder, noise mode, interlace policy, and the image settings every frame uses.</summary>
public sealed record VideoJobOptions
{
    public EncoderSettings Encoder { get; init; } = EncoderSettings.Default;
    public NoiseMode Noise { get; init; } = NoiseMode.Shared;
    public InterlacePolicy Interlace { get; init; } = InterlacePolicy.Deinterlace;
    public JobSettings Frame { get; init; } = JobSettings.Default;

    /// <summary>Frames submitted but not yet encoded (bounds the decoded and restored frames held in memory).</summary>
    public int Window { get; init; } = 8;

    /// <summary>Frames per segment; 0 = at most 10 s of video and about 2000 tiles of work.</summary>
    public int SegmentFrames { get; init; }

    /// <summary>The model id (recorded, and part of what a committed segment must match).</summary>
    public string Model { get; init; } = "";

    /// <summary>Where the job came from, for metrics: "cli", "folder", "rabbitmq".</summary>
    public string Source { get; init; } = "cli";

    public static VideoJobOptions Default { get; } = new();
}
