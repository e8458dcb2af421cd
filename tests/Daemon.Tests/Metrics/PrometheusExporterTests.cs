using ResShift.Daemon.Metrics;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Tests.Metrics;

public sealed class PrometheusExporterTests
{
    [Fact]
    public void Build_engine_and_process_families_are_present()
    {
        using var exporter = new PrometheusExporter(new PrometheusExporterOptions { Version = "1.2.3-test" });
        using var reg = exporter.Engines.Register("tiny-x4", "onnxruntime", "fp32", "cpu");
        var s = Scrape.Parse(exporter.Scrape());

        Assert.Equal(1, s.Samples["resshift_build_info{version=\"1.2.3-test\"}"]);
        Assert.Equal(1, s.Samples["resshift_engine_info{device=\"cpu\",engine=\"onnxruntime\",model=\"tiny-x4\",precision=\"fp32\"}"]);
        Assert.Equal("counter", s.Types["process_cpu_seconds_total"]);
        foreach (var g in new[] { "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds" })
        {
            Assert.Equal("gauge", s.Types[g]);
            Assert.True(s.Samples[g] > 0, g);
        }
        Assert.True(s.Samples["process_resident_memory_bytes"] > 1 << 20);
        Assert.InRange(s.Samples["process_start_time_seconds"], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal("counter", s.Types["dotnet_gc_collections_total"]);
        // Our process families, not prometheus-net's default set (nor its meter/event-counter adapters).
        foreach (var name in s.Types.Keys)
            Assert.True(name.StartsWith("resshift_", StringComparison.Ordinal) || name.StartsWith("process_", StringComparison.Ordinal)
                || name.StartsWith("dotnet_gc_", StringComparison.Ordinal) || name.StartsWith("dotnet_threadpool_", StringComparison.Ordinal), name);
        Assert.DoesNotContain("process_working_set_bytes", s.Types.Keys);
        Assert.DoesNotContain("dotnet_collection_count_total", s.Types.Keys);
    }

    [Fact]
    public void Engine_info_registrations_are_counted_and_reject_paths()
    {
        using var exporter = new PrometheusExporter(new PrometheusExporterOptions { ProcessMetrics = false });
        var a = exporter.Engines.Register("m", "tensorrt", "fp16", "cuda:0");
        var b = exporter.Engines.Register("m", "tensorrt", "fp16", "cuda:0");
        a.Dispose();
        a.Dispose(); // idempotent
        Assert.Contains("resshift_engine_info{", exporter.Scrape());
        Assert.True(exporter.Engines.Unregister("m", "tensorrt", "fp16", "cuda:0"));
        Assert.False(exporter.Engines.Unregister("m", "tensorrt", "fp16", "cuda:0"));
        b.Dispose();
        Assert.DoesNotContain("resshift_engine_info{", exporter.Scrape());

        var e = Assert.Throws<ArgumentException>(() => exporter.Engines.Register("/models/x.onnx", "cpu", "fp32", "cpu"));
        Assert.Contains("path", e.Message);
    }

    [Fact]
    public void Pipeline_instruments_keep_their_names_and_types()
    {
        using var exporter = new PrometheusExporter(new PrometheusExporterOptions { ProcessMetrics = false });
        PipelineMetrics.Jobs.Add(1, new("source", "unit"), new("result", "ok"));
        PipelineMetrics.BatchSize.Record(4);
        PipelineMetrics.StageDuration.Record(0.02, new KeyValuePair<string, object?>("stage", "denoise"));
        PipelineMetrics.Jobs.Add(1, new("source", "/srv/in/secret.png"), new("result", "ok")); // never a path
        var s = Scrape.Parse(exporter.Scrape());

        Assert.Equal("counter", s.Types["resshift_jobs_total"]);
        Assert.True(s.Samples["resshift_jobs_total{result=\"ok\",source=\"unit\"}"] >= 1);
        Assert.Equal("histogram", s.Types["resshift_batch_size"]);
        Assert.True(s.Samples.ContainsKey("resshift_batch_size_bucket{le=\"128\"}"));
        Assert.True(s.Samples.ContainsKey("resshift_stage_duration_seconds_bucket{stage=\"denoise\",le=\"600\"}"));
        Assert.Equal("gauge", s.Types["resshift_queue_depth"]);
        Assert.Equal("gauge", s.Types["resshift_inflight_jobs"]);
        Assert.True(s.Samples["resshift_jobs_total{result=\"ok\",source=\"redacted_path\"}"] >= 1);
        Assert.DoesNotContain("/srv", exporter.Scrape());
        foreach (var q in new[] { "intake", "tiles", "write" }) Assert.True(s.Samples.ContainsKey($"resshift_queue_depth{{queue=\"{q}\"}}"), q);
    }
}
