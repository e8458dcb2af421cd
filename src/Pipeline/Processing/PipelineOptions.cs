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

    /// <summary>
    /// Memory the jobs in flight may hold together (decoded input, blend buffers, output; see
    /// <see cref="JobFootprint"/>). A job waits while the others hold too much, and one that needs more than
    /// all of it is refused at header time. 0 = <see cref="DefaultJobMemoryBytes"/>.
    /// </summary>
    public long MaxJobMemoryBytes { get; init; }

    /// <summary>Half the memory this process may use (physical memory or the container's limit).</summary>
    public static long DefaultJobMemoryBytes()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? available / 2 : 4L << 30;
    }

    /// <summary>The budget in force: <see cref="MaxJobMemoryBytes"/>, or the default from the machine.</summary>
    public long JobMemoryBudget => MaxJobMemoryBytes > 0 ? MaxJobMemoryBytes : DefaultJobMemoryBytes();

    /// <summary>Engine calls running at once; 0 = the engine set's <c>Slots</c> (1 for the CPU engine, N for TensorRT).</summary>
    public int EngineConcurrency { get; init; }

    /// <summary>What the model's task accepts (mask, exact size); from the manifest's "input".</summary>
    public InputContract Input { get; init; } = InputContract.Any;

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
        if (MaxJobsInFlight < 1 || EngineConcurrency < 0 || IntakeCapacity < 1) throw new ArgumentException("concurrency limits must be >= 1 (engine concurrency >= 0)");
        if (MaxJobMemoryBytes < 0) throw new ArgumentException($"job memory budget must be >= 0 bytes (0 = from the machine's memory), got {MaxJobMemoryBytes}");
        if (MaxBatchDelay < TimeSpan.Zero) throw new ArgumentException("batch delay must not be negative");
    }
}
