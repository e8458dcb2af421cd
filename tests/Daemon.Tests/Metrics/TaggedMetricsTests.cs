using System.Text;
using Prometheus;
using ResShift.Pipeline.Metrics;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>The recording facade over prometheus-net, in a private registry so other tests cannot interfere.</summary>
public sealed class TaggedMetricsTests
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly MetricFactory _factory;

    public TaggedMetricsTests()
    {
        _factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
    }

    private string Render()
    {
        using var buffer = new MemoryStream();
        _registry.CollectAndExportAsTextAsync(buffer).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Fact]
    public void Counter_with_labels_sums_per_label_set_in_any_tag_order()
    {
        var c = new TaggedCounter(_factory, "t_requests_total", "Requests served", "a", "b");
        c.Add(2, new("b", "y"), new("a", "x"));
        c.Add(3, new("a", "x"), new("b", "y"));
        c.Add(1, new("a", "z"), new("b", "y"));

        Assert.Equal("""
            # HELP t_requests_total Requests served
            # TYPE t_requests_total counter
            t_requests_total{a="x",b="y"} 5
            t_requests_total{a="z",b="y"} 1

            """.ReplaceLineEndings("\n"), Render());
    }

    [Fact]
    public void An_unknown_tag_name_is_a_programming_error_not_a_new_series()
    {
        var c = new TaggedCounter(_factory, "t_typo_total", "d", "source");
        var e = Assert.Throws<ArgumentException>(() => c.Add(1, new KeyValuePair<string, object?>("sauce", "x")));
        Assert.Contains("sauce", e.Message);
    }

    [Fact]
    public void Histogram_has_cumulative_inclusive_buckets_sum_and_count_and_ignores_nan()
    {
        var h = new TaggedHistogram(_factory, "t_latency_seconds", "Latency", [1, 2, 5], "op");
        foreach (var v in new[] { 0.5, 1.0, 1.5, 7.0, double.NaN }) h.Record(v, new KeyValuePair<string, object?>("op", "read"));

        Assert.Equal("""
            # HELP t_latency_seconds Latency
            # TYPE t_latency_seconds histogram
            t_latency_seconds_sum{op="read"} 10
            t_latency_seconds_count{op="read"} 4
            t_latency_seconds_bucket{op="read",le="1"} 2
            t_latency_seconds_bucket{op="read",le="2"} 3
            t_latency_seconds_bucket{op="read",le="5"} 3
            t_latency_seconds_bucket{op="read",le="+Inf"} 4

            """.ReplaceLineEndings("\n"), Render());
    }

    [Fact]
    public void Unlabelled_counters_appear_on_first_increment_and_published_series_at_zero()
    {
        var c = new TaggedCounter(_factory, "t_tiles_total", "Tiles");
        var refused = new TaggedCounter(_factory, "t_refused_total", "Refused", "defect");
        Assert.DoesNotContain("\nt_tiles_total ", Render());
        refused.Publish("constant");
        c.Add(3);
        string text = Render();
        Assert.Contains("\nt_tiles_total 3\n", text);
        Assert.Contains("t_refused_total{defect=\"constant\"} 0", text);
    }

    [Fact]
    public void Label_values_are_escaped_and_help_that_prometheus_net_would_not_escape_is_refused()
    {
        var c = new TaggedCounter(_factory, "t_escape_total", "Escapes", "v");
        c.Add(1, new KeyValuePair<string, object?>("v", "a\\b\"c\nd"));
        Assert.Contains("t_escape_total{v=\"a\\\\b\\\"c\\nd\"} 1\n", Render());

        Assert.Throws<ArgumentException>(() => new TaggedCounter(_factory, "t_bad_help_total", "line one\nline two"));
        Assert.Throws<ArgumentException>(() => new TaggedHistogram(_factory, "t_bad_help", "back\\slash", [1]));
    }

    [Fact]
    public void Paths_never_become_label_values()
    {
        var c = new TaggedCounter(_factory, "t_files_total", "Files", "file");
        c.Add(1, new KeyValuePair<string, object?>("file", "/srv/archive/inbox/a.png"));
        c.Inc(@"C:\data\b.png");
        var g = new LiveGauge(_factory.CreateGauge("t_loss", "Loss", ["job"]));
        g.Observe([(0.5, ["inbox/c.png"])]);
        string text = Render();
        Assert.DoesNotContain("/srv", text);
        Assert.DoesNotContain("data", text);
        Assert.DoesNotContain("inbox", text);
        Assert.Contains($"t_files_total{{file=\"{LabelValue.RedactedPath}\"}} 2", text);
        Assert.Contains($"t_loss{{job=\"{LabelValue.RedactedPath}\"}} 0.5", text);
    }

    [Fact]
    public void Series_beyond_the_cap_are_dropped()
    {
        var c = new TaggedCounter(_factory, "t_unbounded_total", "d", "id");
        var g = new LiveGauge(_factory.CreateGauge("t_live", "d", ["id"]));
        for (int i = 0; i < MetricsRegistry.MaxSeriesPerFamily + 50; i++) c.Inc($"v{i}");
        g.Observe(Enumerable.Range(0, MetricsRegistry.MaxSeriesPerFamily + 50).Select(i => (1.0, new[] { $"v{i}" })));
        string text = Render();
        Assert.Equal(MetricsRegistry.MaxSeriesPerFamily, text.Split('\n').Count(l => l.StartsWith("t_unbounded_total{", StringComparison.Ordinal)));
        Assert.Equal(MetricsRegistry.MaxSeriesPerFamily, text.Split('\n').Count(l => l.StartsWith("t_live{", StringComparison.Ordinal)));
        c.Inc("v0"); // an existing series still counts
        Assert.Contains("t_unbounded_total{id=\"v0\"} 2", Render());
    }

    [Fact]
    public void Live_gauge_series_that_stop_reporting_disappear()
    {
        var g = new LiveGauge(_factory.CreateGauge("t_depth", "d", ["q"]));
        g.Observe([(1, ["a"]), (2, ["b"])]);
        Assert.Contains("t_depth{q=\"b\"} 2", Render());
        g.Observe([(7, ["a"])]);
        string second = Render();
        Assert.Contains("t_depth{q=\"a\"} 7", second);
        Assert.DoesNotContain("q=\"b\"", second);
    }

    [Fact]
    public void Parallel_recordings_sum_exactly()
    {
        var c = new TaggedCounter(_factory, "t_parallel_total", "d", "k");
        var h = new TaggedHistogram(_factory, "t_parallel_seconds", "d", [1, 2, 5], "k");
        const int threads = 8, per = 50_000;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            string k = t % 2 == 0 ? "even" : "odd";
            for (int i = 0; i < per; i++)
            {
                c.Inc(k);
                h.Observe(i % 3, k); // 0, 1, 2: buckets le=1 and le=2
            }
        });

        var s = Scrape.Parse(Render());
        Assert.Equal(threads / 2 * per, s.Samples["t_parallel_total{k=\"even\"}"]);
        Assert.Equal(threads / 2 * per, s.Samples["t_parallel_total{k=\"odd\"}"]);
        Assert.Equal(threads / 2 * per, s.Samples["t_parallel_seconds_count{k=\"even\"}"]);
        Assert.Equal(s.Samples["t_parallel_seconds_bucket{k=\"even\",le=\"2\"}"], s.Samples["t_parallel_seconds_count{k=\"even\"}"]);
        Assert.Equal(Enumerable.Range(0, per).Sum(i => i % 3) * (threads / 2.0), s.Samples["t_parallel_seconds_sum{k=\"even\"}"]);
    }

    /// <summary>The tile path's recordings (bench/Metrics measures the same with BenchmarkDotNet).</summary>
    [Fact]
    public void Recording_into_an_existing_series_does_not_allocate()
    {
        var tiles = new TaggedCounter(_factory, "t_hot_tiles_total", "d");
        var batch = new TaggedHistogram(_factory, "t_hot_batch", "d", HistogramBuckets.BatchSize);
        var stage = new TaggedHistogram(_factory, "t_hot_stage_seconds", "d", HistogramBuckets.Seconds, "stage");
        var jobs = new TaggedCounter(_factory, "t_hot_jobs_total", "d", "result", "source");
        void Once()
        {
            tiles.Add(4);
            batch.Record(4);
            stage.Observe(0.02, "denoise");
            stage.Record(0.01, new KeyValuePair<string, object?>("stage", "preprocess"));
            jobs.Add(1, new("source", "folder"), new("result", "ok"));
        }
        Once();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) Once();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Contains("t_hot_jobs_total{result=\"ok\",source=\"folder\"} 10001", Render());
    }
}
