using BenchmarkDotNet.Attributes;
using Prometheus;
using ResShift.Pipeline.Metrics;

namespace ResShift.Metrics.Bench;

/// <summary>
/// What the pipeline records per engine batch (the tile path): tiles, batch size and four stage timings, through the
/// same facade types as PipelineMetrics, in a private registry. One operation = one batch's recordings.
/// The last benchmark is prometheus-net's own WithLabels lookup per observation, for comparison with the cached children.
/// </summary>
[MemoryDiagnoser]
[InProcess]
public class TilePathBenchmarks
{
    private static readonly string[] Stages = ["preprocess", "encode_latent", "denoise", "decode_latent"];

    private TaggedCounter _tiles = null!;
    private TaggedHistogram _batch = null!, _stage = null!;
    private TaggedCounter _jobs = null!;
    private Histogram _raw = null!;

    [GlobalSetup]
    public void Setup()
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry());
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _tiles = new TaggedCounter(factory, "bench_tiles_total", "Tiles");
        _batch = new TaggedHistogram(factory, "bench_batch_size", "Tiles per engine call", HistogramBuckets.BatchSize);
        _stage = new TaggedHistogram(factory, "bench_stage_duration_seconds", "Stage time", HistogramBuckets.Seconds, "stage");
        _jobs = new TaggedCounter(factory, "bench_jobs_total", "Jobs", "result", "source");
        _raw = factory.CreateHistogram("bench_raw_stage_duration_seconds", "Stage time",
            new HistogramConfiguration { LabelNames = ["stage"], Buckets = [.. HistogramBuckets.Seconds] });
        TileBatch();
        JobFinished();
        UncachedWithLabels();
    }

    /// <summary>One engine batch: Tiles.Add, BatchSize.Record, and the four engine stages (as RestorePipeline records them).</summary>
    [Benchmark(Baseline = true)]
    public void TileBatch()
    {
        _tiles.Add(4);
        _batch.Record(4);
        foreach (string stage in Stages) _stage.Observe(0.02, stage);
    }

    /// <summary>One stage observation by tag (the System.Diagnostics.Metrics-shaped call sites).</summary>
    [Benchmark]
    public void StageByTag() => _stage.Record(0.02, new KeyValuePair<string, object?>("stage", "denoise"));

    /// <summary>A job's result: two labels by tag.</summary>
    [Benchmark]
    public void JobFinished() => _jobs.Add(1, new("source", "folder"), new("result", "ok"));

    /// <summary>prometheus-net's WithLabels(params string[]) on every observation, without our cache.</summary>
    [Benchmark]
    public void UncachedWithLabels() => _raw.WithLabels("denoise").Observe(0.02);
}
