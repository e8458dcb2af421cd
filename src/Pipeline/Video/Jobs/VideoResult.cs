using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Probing;
using ResShift.Pipeline.Video.Segments;
using ResShift.Pipeline.Video;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>What a finished video job did: everything the provenance sidecar records.</summary>
public sealed record VideoResult
{
    public required string Name { get; init; }
    public required string OutputPath { get; init; }
    public required string InputSha256 { get; init; }
    public long Frames { get; init; }
    public long FramesOut { get; init; }
    public required VideoDecisions Decisions { get; init; }
    public required EncoderPlan Encoder { get; init; }
    public required MediaProbe Probe { get; init; }
    public required MediaProbe OutputProbe { get; init; }
    public required IReadOnlyList<SegmentRecord> Segments { get; init; }
    public int SegmentsResumed { get; init; }
    public required string FfmpegVersion { get; init; }
    public required IReadOnlyList<string> CommandLines { get; init; }
    public required string Engine { get; init; }
    public required string Precision { get; init; }
    public required VideoJobOptions Options { get; init; }
    public double Seconds { get; init; }
    public int Scale { get; init; }

    /// <summary>The distributed plan this output was assembled from (null for a one-process run).</summary>
    public string? PlanId { get; init; }

    /// <summary>The delivered file's sha256 (distributed runs: how a second assembler recognises the delivery as this plan's).</summary>
    public string? OutputSha256 { get; init; }
}
