using System.Text;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// Renders everything the daemon exports in Prometheus text format 0.0.4: the ResShift.* meters, build and
/// engine info, process and runtime figures. Create one per process and dispose it at shutdown.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterCollector _meters;
    private readonly IMetricsCollector[] _collectors;
    private int _lastSize = 8192;

    public PrometheusExporter(PrometheusExporterOptions? options = null)
    {
        options ??= new PrometheusExporterOptions();
        var buckets = options.HistogramBuckets.ToDictionary(kv => kv.Key, kv => Metrics.HistogramBuckets.Validate(kv.Key, kv.Value), StringComparer.Ordinal);
        Version = options.Version ?? BuildInfo.Version;
        Engines = new EngineInfo();
        _meters = new MeterCollector(options.MeterPrefixes, buckets, options.MaxSeriesPerFamily);
        List<IMetricsCollector> collectors = [_meters, new BuildInfoMetric(Version), Engines];
        if (options.ProcessMetrics) collectors.Add(new ProcessMetrics());
        _collectors = [.. collectors];
    }

    /// <summary>resshift_engine_info: register each engine when it is loaded.</summary>
    public EngineInfo Engines { get; }

    /// <summary>The version label of resshift_build_info.</summary>
    public string Version { get; }

    /// <summary>One scrape, as the body of GET /metrics (<see cref="PrometheusText.ContentType"/>).</summary>
    public string Scrape()
    {
        var sb = new StringBuilder(Volatile.Read(ref _lastSize));
        var writer = new PrometheusTextWriter(sb);
        foreach (var c in _collectors) c.Collect(writer);
        Volatile.Write(ref _lastSize, Math.Max(sb.Length + 1024, 8192));
        return sb.ToString();
    }

    public void Dispose() => _meters.Dispose();
}
