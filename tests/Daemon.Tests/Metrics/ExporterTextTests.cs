using System.Diagnostics.Metrics;
using ResShift.Daemon.Metrics;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>Exact exposition text for each instrument kind, from a private meter so other tests cannot interfere.</summary>
public sealed class ExporterTextTests : IDisposable
{
    private readonly string _meterName = "ResShift.Test." + Guid.NewGuid().ToString("N");
    private readonly Meter _meter;
    private readonly MeterCollector _collector;

    public ExporterTextTests()
    {
        _meter = new Meter(_meterName);
        _collector = new MeterCollector([_meterName], new Dictionary<string, double[]> { ["t_latency_seconds"] = [1, 2, 5] });
    }

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    private string Render()
    {
        var w = new PrometheusTextWriter();
        _collector.Collect(w);
        return w.ToString();
    }

    [Fact]
    public void Counter_with_labels_sums_per_label_set_in_any_tag_order()
    {
        var c = _meter.CreateCounter<long>("t_requests_total", description: "Requests served");
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
    public void Counter_without_total_suffix_gets_one()
    {
        _meter.CreateCounter<double>("t_bytes_written", description: "d").Add(1.5);
        Assert.Contains("# TYPE t_bytes_written_total counter\nt_bytes_written_total 1.5\n", Render());
    }

    [Fact]
    public void Gauges_from_updown_counters_and_observables()
    {
        var updown = _meter.CreateUpDownCounter<int>("t_workers", description: "Workers");
        updown.Add(5);
        updown.Add(-2);
        _meter.CreateObservableGauge("t_temperature_celsius", () => new Measurement<double>(21.5, new KeyValuePair<string, object?>("room", "lab")), description: "Temp");

        Assert.Equal("""
            # HELP t_temperature_celsius Temp
            # TYPE t_temperature_celsius gauge
            t_temperature_celsius{room="lab"} 21.5
            # HELP t_workers Workers
            # TYPE t_workers gauge
            t_workers 3

            """.ReplaceLineEndings("\n"), Render());
    }

    [Fact]
    public void Observable_series_that_stop_reporting_disappear()
    {
        bool both = true;
        _meter.CreateObservableGauge("t_depth", () => both
            ? [new Measurement<long>(1, new KeyValuePair<string, object?>("q", "a")), new Measurement<long>(2, new KeyValuePair<string, object?>("q", "b"))]
            : new[] { new Measurement<long>(7, new KeyValuePair<string, object?>("q", "a")) });
        Assert.Contains("t_depth{q=\"b\"} 2", Render());
        both = false;
        string second = Render();
        Assert.Contains("t_depth{q=\"a\"} 7", second);
        Assert.DoesNotContain("q=\"b\"", second);
    }

    [Fact]
    public void Histogram_has_cumulative_buckets_inf_equal_to_count_and_sum()
    {
        var h = _meter.CreateHistogram<double>("t_latency_seconds", "s", "Latency");
        foreach (var v in new[] { 0.5, 1.0, 1.5, 7.0 }) h.Record(v, new KeyValuePair<string, object?>("op", "read"));

        Assert.Equal("""
            # HELP t_latency_seconds Latency
            # TYPE t_latency_seconds histogram
            t_latency_seconds_bucket{op="read",le="1"} 2
            t_latency_seconds_bucket{op="read",le="2"} 3
            t_latency_seconds_bucket{op="read",le="5"} 3
            t_latency_seconds_bucket{op="read",le="+Inf"} 4
            t_latency_seconds_sum{op="read"} 10
            t_latency_seconds_count{op="read"} 4

            """.ReplaceLineEndings("\n"), Render());
    }

    [Fact]
    public void Label_values_and_help_are_escaped()
    {
        var c = _meter.CreateCounter<long>("t_escape_total", description: "line one\nback\\slash \"quoted\"");
        c.Add(1, new KeyValuePair<string, object?>("v", "a\\b\"c\nd"));

        Assert.Equal("""
            # HELP t_escape_total line one\nback\\slash "quoted"
            # TYPE t_escape_total counter
            t_escape_total{v="a\\b\"c\nd"} 1

            """.ReplaceLineEndings("\n"), Render());
    }

    [Fact]
    public void Paths_never_become_label_values()
    {
        _meter.CreateCounter<long>("t_files_total").Add(1, new KeyValuePair<string, object?>("file", "/srv/archive/inbox/a.png"));
        string text = Render();
        Assert.DoesNotContain("/srv", text);
        Assert.Contains($"t_files_total{{file=\"{SeriesKey.RedactedPath}\"}} 1", text);
    }

    [Fact]
    public void Parallel_recordings_sum_exactly()
    {
        var c = _meter.CreateCounter<long>("t_parallel_total");
        var d = _meter.CreateCounter<double>("t_parallel_seconds_total");
        var h = _meter.CreateHistogram<double>("t_latency_seconds");
        const int threads = 8, per = 50_000;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var tag = new KeyValuePair<string, object?>("k", t % 2 == 0 ? "even" : "odd");
            for (int i = 0; i < per; i++)
            {
                c.Add(1, tag);
                d.Add(0.5, tag);
                h.Record(i % 3, tag); // 0, 1, 2: buckets le=1 and le=2
            }
        });

        var s = Scrape.Parse(Render());
        Assert.Equal(threads / 2 * per, s.Samples["t_parallel_total{k=\"even\"}"]);
        Assert.Equal(threads / 2 * per, s.Samples["t_parallel_total{k=\"odd\"}"]);
        Assert.Equal(threads / 2 * per * 0.5, s.Samples["t_parallel_seconds_total{k=\"odd\"}"]);
        Assert.Equal(threads / 2 * per, s.Samples["t_latency_seconds_count{k=\"even\"}"]);
        Assert.Equal(threads / 2 * per, s.Samples["t_latency_seconds_bucket{k=\"even\",le=\"+Inf\"}"]);
        Assert.Equal(s.Samples["t_latency_seconds_bucket{k=\"even\",le=\"2\"}"], s.Samples["t_latency_seconds_count{k=\"even\"}"]);
        double sumEven = Enumerable.Range(0, per).Sum(i => i % 3) * (threads / 2.0);
        Assert.Equal(sumEven, s.Samples["t_latency_seconds_sum{k=\"even\"}"]);
    }

    [Fact]
    public void Recording_into_an_existing_series_does_not_allocate()
    {
        var c = _meter.CreateCounter<long>("t_hot_total");
        var h = _meter.CreateHistogram<double>("t_latency_seconds");
        KeyValuePair<string, object?> a = new("stage", "denoise"), b = new("source", "folder");
        c.Add(1, a, b);
        h.Record(0.5, a);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            c.Add(1, a, b);
            h.Record(0.5, a);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Contains("t_hot_total{source=\"folder\",stage=\"denoise\"} 10001", Render());
    }

    [Fact]
    public void Families_are_sorted_and_a_disposed_meter_leaves_the_scrape()
    {
        using var other = new Meter(_meterName); // same name: also matches this collector's prefix
        other.CreateCounter<long>("t_b_total").Add(1);
        _meter.CreateCounter<long>("t_a_total").Add(1);
        string text = Render();
        Assert.True(text.IndexOf("t_a_total", StringComparison.Ordinal) < text.IndexOf("t_b_total", StringComparison.Ordinal));
        other.Dispose();
        Assert.DoesNotContain("t_b_total", Render());
    }

    [Fact]
    public void Series_cap_drops_new_label_sets_instead_of_growing_without_bound()
    {
        using var capped = new MeterCollector([_meterName], maxSeriesPerFamily: 3);
        var c = _meter.CreateCounter<long>("t_capped_total");
        for (int i = 0; i < 10; i++) c.Add(1, new KeyValuePair<string, object?>("id", i));
        var w = new PrometheusTextWriter();
        capped.Collect(w);
        Assert.Equal(3, w.ToString().Split('\n').Count(l => l.StartsWith("t_capped_total{", StringComparison.Ordinal)));
    }
}
