namespace ResShift.Pipeline.Metrics;

/// <summary>
/// Bucket upper bounds per histogram, chosen by name: a tile batch and a whole-video job differ by
/// six orders of magnitude, so one default set would waste most buckets.
/// </summary>
public static class HistogramBuckets
{
    /// <summary>1-2.5-5 steps from 1 ms to 10 min: stage and request latencies.</summary>
    public static readonly IReadOnlyList<double> Seconds =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 600];

    /// <summary>10 ms to 1 h: whole jobs (large images on CPU take minutes).</summary>
    public static readonly IReadOnlyList<double> JobSeconds =
        [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 600, 1200, 1800, 3600];

    /// <summary>Tiles per engine call: powers of two up to the largest batch an engine is built for.</summary>
    public static readonly IReadOnlyList<double> BatchSize = [1, 2, 4, 8, 16, 32, 64, 128];

    /// <summary>1 KiB to 1 GiB in powers of four.</summary>
    public static readonly IReadOnlyList<double> Bytes =
        [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824];

    /// <summary>For histograms with no unit we know of.</summary>
    public static readonly IReadOnlyList<double> Default = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Bounds for a histogram named <paramref name="name"/> (+Inf is added by prometheus-net).</summary>
    public static IReadOnlyList<double> For(string name) => name switch
    {
        "resshift_job_duration_seconds" => JobSeconds,
        "resshift_batch_size" => BatchSize,
        _ when name.EndsWith("_seconds", StringComparison.Ordinal) => Seconds,
        _ when name.EndsWith("_bytes", StringComparison.Ordinal) => Bytes,
        _ => Default,
    };
}
