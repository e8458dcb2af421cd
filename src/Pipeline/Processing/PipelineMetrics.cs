using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// The pipeline's instruments (System.Diagnostics.Metrics), named with their Prometheus names so the
/// exporter needs no mapping. Stages: decode, preprocess, encode_latent, denoise, decode_latent,
/// postprocess, write.
/// </summary>
public static class PipelineMetrics
{
    public const string MeterName = "ResShift.Pipeline";
    public static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Jobs = Meter.CreateCounter<long>("resshift_jobs_total", description: "Jobs finished, by source and result");
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("resshift_job_duration_seconds", "s", "Wall time from job start to output written");
    public static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("resshift_stage_duration_seconds", "s", "Time spent per stage (per job for I/O stages, per batch for engine stages)");
    public static readonly Counter<long> Tiles = Meter.CreateCounter<long>("resshift_tiles_total", description: "Tiles run through the engines");
    public static readonly Counter<long> OutputPixels = Meter.CreateCounter<long>("resshift_output_pixels_total", description: "Output pixels written");
    public static readonly Histogram<double> BatchSize = Meter.CreateHistogram<double>("resshift_batch_size", description: "Tiles per engine call");

    private static readonly ConcurrentDictionary<RestorePipeline, byte> Live = new();

    static PipelineMetrics()
    {
        Meter.CreateObservableGauge("resshift_queue_depth", ObserveQueues, description: "Items waiting in each pipeline queue");
        Meter.CreateObservableGauge("resshift_inflight_jobs", () => (long)Live.Keys.Sum(p => p.InFlightJobs), description: "Jobs started and not yet finished");
    }

    internal static void Register(RestorePipeline p) => Live[p] = 0;
    internal static void Unregister(RestorePipeline p) => Live.TryRemove(p, out _);

    private static IEnumerable<Measurement<long>> ObserveQueues()
    {
        long intake = 0, tiles = 0, finishing = 0;
        foreach (var p in Live.Keys)
        {
            intake += p.IntakeDepth;
            tiles += p.TileQueueDepth;
            finishing += p.FinishQueueDepth;
        }
        yield return new Measurement<long>(intake, new KeyValuePair<string, object?>("queue", "intake"));
        yield return new Measurement<long>(tiles, new KeyValuePair<string, object?>("queue", "tiles"));
        yield return new Measurement<long>(finishing, new KeyValuePair<string, object?>("queue", "write"));
    }

    internal static void Stage(string stage, TimeSpan t) =>
        StageDuration.Record(t.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
}
