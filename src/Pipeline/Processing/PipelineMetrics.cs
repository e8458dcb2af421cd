using System.Collections.Concurrent;
using Prometheus;
using ResShift.Pipeline.Metrics;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// The pipeline's metrics (prometheus-net, in <see cref="MetricsRegistry.Shared"/>). Stages: decode, preprocess,
/// encode_latent, denoise, decode_latent, postprocess, write (and fidelity).
/// </summary>
public static class PipelineMetrics
{
    public static readonly TaggedCounter Jobs = new("resshift_jobs_total", "Jobs finished, by source and result", "result", "source");
    public static readonly TaggedHistogram JobDuration = new("resshift_job_duration_seconds", "Wall time from job start to output written",
        HistogramBuckets.For("resshift_job_duration_seconds"));
    public static readonly TaggedHistogram StageDuration = new("resshift_stage_duration_seconds",
        "Time spent per stage (per job for I/O stages, per batch for engine stages)", HistogramBuckets.For("resshift_stage_duration_seconds"), "stage");
    public static readonly TaggedCounter Tiles = new("resshift_tiles_total", "Tiles run through the engines");
    public static readonly TaggedCounter OutputPixels = new("resshift_output_pixels_total", "Output pixels written");
    public static readonly TaggedHistogram BatchSize = new("resshift_batch_size", "Tiles per engine call", HistogramBuckets.For("resshift_batch_size"));

    private static readonly Gauge QueueDepth = MetricsRegistry.Gauge("resshift_queue_depth", "Items waiting in each pipeline queue", "queue");
    private static readonly Gauge.Child IntakeQueue = QueueDepth.WithLabels("intake"), TileQueue = QueueDepth.WithLabels("tiles"), WriteQueue = QueueDepth.WithLabels("write");
    private static readonly Gauge InFlight = MetricsRegistry.Gauge("resshift_inflight_jobs", "Jobs started and not yet finished");

    private static readonly ConcurrentDictionary<RestorePipeline, byte> Live = new();

    static PipelineMetrics() => MetricsRegistry.Shared.AddBeforeCollectCallback(Observe);

    internal static void Register(RestorePipeline p) => Live[p] = 0;
    internal static void Unregister(RestorePipeline p) => Live.TryRemove(p, out _);

    /// <summary>Queue depths and jobs in flight are read from the live pipelines at scrape time.</summary>
    private static void Observe()
    {
        long intake = 0, tiles = 0, finishing = 0, inFlight = 0;
        foreach (var p in Live.Keys)
        {
            intake += p.IntakeDepth;
            tiles += p.TileQueueDepth;
            finishing += p.FinishQueueDepth;
            inFlight += p.InFlightJobs;
        }
        IntakeQueue.Set(intake);
        TileQueue.Set(tiles);
        WriteQueue.Set(finishing);
        InFlight.Set(inFlight);
    }

    internal static void Stage(string stage, TimeSpan t) => StageDuration.Observe(t.TotalSeconds, stage);
}
