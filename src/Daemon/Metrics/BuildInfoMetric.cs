namespace ResShift.Daemon.Metrics;

/// <summary><c>resshift_build_info{version} 1</c>: lets dashboards show and join on the running version.</summary>
internal sealed class BuildInfoMetric(string version) : IMetricsCollector
{
    public const string MetricName = "resshift_build_info";

    private readonly string _labels = SeriesKey.From(("version", version)).Rendered;

    public void Collect(PrometheusTextWriter writer)
    {
        writer.Family(MetricName, "gauge", "Version of the running resshift daemon (always 1)");
        writer.Sample(MetricName, _labels, 1);
    }
}
