using ResShift.Daemon.Metrics;
using ResShift.Daemon.Serve;
using ResShift.Daemon.Tests.Restore;
using ResShift.Engines.Abstractions;
using ResShift.Engines.Null;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Processing;
using ResShift.Daemon.Backends;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>The device in resshift_engine_info and /v1/status is what the loaded engine set reports, never a constant.</summary>
public class EngineDeviceTests
{
    [Fact]
    public async Task EngineInfoAndStatusReportTheDeviceTheEngineSetNames()
    {
        ModelManifest m = ModelRegistry.Discover(Repo.Engines).Get("tiny-x4");
        await using var gpu = new ModelPipeline(m, new OnDevice(new NullEngineSet(m.Geometry, 2), "Test GPU 7"), new PipelineOptions { MaxBatch = 2 });
        await using var none = new ModelPipeline(m, new NullEngineSet(m.Geometry, 2), new PipelineOptions { MaxBatch = 2 });

        var state = new ServiceState();
        state.Loaded([gpu, none], []);
        Assert.Equal(["Test GPU 7", "none"], state.Snapshot().Engines.Select(e => e.Device));

        using var exporter = new PrometheusExporter(new PrometheusExporterOptions { ProcessMetrics = false });
        using (var loaded = new LoadedEngines(exporter.Engines))
        {
            loaded.Add("gpu-model", gpu.Engines);
            loaded.Add("null-model", none.Engines);
            string[] info = exporter.Scrape().Split('\n').Where(l => l.StartsWith(EngineInfo.MetricName + "{", StringComparison.Ordinal)).ToArray();
            Assert.Equal(2, info.Length);
            Assert.Contains(info, l => l.Contains("model=\"gpu-model\"") && l.Contains("device=\"Test GPU 7\""));
            Assert.Contains(info, l => l.Contains("model=\"null-model\"") && l.Contains("device=\"none\""));
            Assert.DoesNotContain(info, l => l.Contains("device=\"cpu\""));
        }
        Assert.DoesNotContain(EngineInfo.MetricName + "{", exporter.Scrape()); // unregistered on dispose
    }

    /// <summary>A real (null) engine set that says it runs elsewhere: stands in for a GPU engine on a machine without one.</summary>
    private sealed class OnDevice(IEngineSet inner, string device) : IEngineSet
    {
        public ModelGeometry Geometry => inner.Geometry;
        public int MaxBatch => inner.MaxBatch;
        public string EngineName => "test-engine";
        public string Precision => "fp16";
        public string Device => device;
        public ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken ct) => inner.EncodeAsync(image, latent, batch, ct);
        public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken ct) =>
            inner.DenoiseAsync(xScaled, t, lq, x0, batch, ct);
        public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken ct) => inner.DecodeAsync(latent, image, batch, ct);
        public void Dispose() => inner.Dispose();
    }
}
