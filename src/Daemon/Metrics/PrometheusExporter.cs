using System.Text;
using Prometheus;
using ResShift.Pipeline.Metrics;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// Everything the daemon exports, in Prometheus text format 0.0.4, written by prometheus-net: the recorded metrics
/// (<see cref="MetricsRegistry.Shared"/>, one per process) and this exporter's own registry (build and engine info,
/// GPU memory, process and runtime figures). Create one per process and dispose it at shutdown.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();

    public PrometheusExporter(PrometheusExporterOptions? options = null)
    {
        options ??= new PrometheusExporterOptions();
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        Version = options.Version ?? BuildInfo.Version;
        factory.CreateGauge("resshift_build_info", "Version of the running resshift daemon (always 1)", ["version"]).WithLabels(LabelValue.Safe(Version)).Set(1);
        Engines = new EngineInfo(factory, _registry);
        if (options.ProcessMetrics) ProcessMetrics.Register(factory, _registry);
    }

    /// <summary>resshift_engine_info: register each engine when it is loaded.</summary>
    public EngineInfo Engines { get; }

    /// <summary>The version label of resshift_build_info.</summary>
    public string Version { get; }

    /// <summary>One scrape, written to <paramref name="to"/> (the body of GET /metrics, <see cref="ContentType"/>).</summary>
    public async Task WriteAsync(Stream to, CancellationToken cancellationToken = default)
    {
        await MetricsRegistry.Shared.CollectAndExportAsTextAsync(to, cancellationToken).ConfigureAwait(false);
        await _registry.CollectAndExportAsTextAsync(to, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One scrape as a string (tests, diagnostics).</summary>
    public string Scrape()
    {
        using var buffer = new MemoryStream();
        WriteAsync(buffer).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public void Dispose()
    {
        // Nothing runs between scrapes: the registries hold no threads or listeners.
    }
}
