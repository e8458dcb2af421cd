namespace ResShift.Daemon.Metrics;

public sealed class PrometheusExporterOptions
{
    /// <summary>Meters whose names start with one of these are exported.</summary>
    public IList<string> MeterPrefixes { get; } = ["ResShift."];

    /// <summary>Bucket bounds by metric name, replacing the defaults of <see cref="HistogramBuckets.For"/>.</summary>
    public IDictionary<string, double[]> HistogramBuckets { get; } = new Dictionary<string, double[]>(StringComparer.Ordinal);

    /// <summary>The version label of resshift_build_info; null means <see cref="BuildInfo.Version"/>.</summary>
    public string? Version { get; set; }

    /// <summary>Adds process_* and dotnet_* families.</summary>
    public bool ProcessMetrics { get; set; } = true;

    /// <summary>Series per family beyond which new label combinations are dropped (a guard against unbounded labels).</summary>
    public int MaxSeriesPerFamily { get; set; } = 1000;
}
