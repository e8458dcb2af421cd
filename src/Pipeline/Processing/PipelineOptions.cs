using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Processing;

/// <summary>How one pipeline (one engine set) schedules work.</summary>
public sealed record PipelineOptions
{
    /// <summary>Overlap between neighbouring tiles in LQ pixels (stride = tile − overlap).</summary>
    public int Overlap { get; init; } = 16;

    /// <summary>The model id, as the "model" label of per-model metrics.</summary>
    public string Model { get; init; } = "unknown";
    public BlendMode Blend { get; init; } = BlendMode.Feather;
    public ulong Seed { get; init; }
    public double NoiseScale { get; init; } = 1.0;

    /// <summary>Upper bound on tiles per engine call; the engine's own MaxBatch caps it too.</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>How long a partial batch may wait for more tiles (dynamic batching).</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Jobs decoded and tiled at once: bounds memory held by whole images.</summary>
    public int MaxJobsInFlight { get; init; } = 4;

    /// <summary>Engine calls running at once (1 for a CPU engine that already uses every core).</summary>
    public int EngineConcurrency { get; init; } = 1;

    /// <summary>Jobs accepted but not yet started; <c>SubmitAsync</c> waits when it is full.</summary>
    public int IntakeCapacity { get; init; } = 64;

    /// <summary>A job's settings with every value present: the job's own where it has one, else these defaults.</summary>
    public JobSettings Resolve(JobSettings job) => new()
    {
        Seed = job.Seed ?? Seed,
        NoiseScale = job.NoiseScale ?? NoiseScale,
        Overlap = job.Overlap ?? Overlap,
        Blend = job.Blend ?? Blend,
    };

    public void Validate(int tile)
    {
        if (Overlap < 0 || Overlap >= tile) throw new ArgumentException($"overlap must be in 0..{tile - 1} LQ pixels for tile {tile}, got {Overlap}");
        if (!(NoiseScale >= 0 && NoiseScale <= 1)) throw new ArgumentException($"noise scale must be in [0, 1], got {NoiseScale}");
        if (MaxBatch < 1) throw new ArgumentException($"batch must be >= 1, got {MaxBatch}");
        if (MaxJobsInFlight < 1 || EngineConcurrency < 1 || IntakeCapacity < 1) throw new ArgumentException("concurrency limits must be >= 1");
        if (MaxBatchDelay < TimeSpan.Zero) throw new ArgumentException("batch delay must not be negative");
    }
}
