using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// Per-job choices. They travel with each tile, so jobs with different settings still share engine
/// batches: one pipeline per model serves every watch root and queue.
/// </summary>
public sealed record JobSettings
{
    /// <summary>Overlap between tiles in LQ pixels; null = the pipeline default.</summary>
    public int? Overlap { get; init; }
    public BlendMode? Blend { get; init; }
    public ulong? Seed { get; init; }

    /// <summary>0 = deterministic posterior mean, 1 = the model's sampling noise.</summary>
    public double? NoiseScale { get; init; }

    public static JobSettings Default { get; } = new();
}
