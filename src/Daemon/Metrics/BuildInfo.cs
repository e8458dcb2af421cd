using System.Reflection;

namespace ResShift.Daemon.Metrics;

/// <summary><c>resshift_build_info{version} 1</c>: lets dashboards show and join on the running version.</summary>
internal sealed class BuildInfo(string version) : IMetricsCollector
{
    public const string MetricName = "resshift_build_info";

    private readonly string _labels = SeriesKey.From(("version", version)).Rendered;

    public string Version { get; } = version;

    /// <summary>The daemon assembly's informational version (e.g. 0.1.0+commit), else its assembly version.</summary>
    public static string DefaultVersion()
    {
        var asm = typeof(BuildInfo).Assembly;
        return asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? asm.GetName().Version?.ToString()
            ?? "unknown";
    }

    public void Collect(PrometheusTextWriter writer)
    {
        writer.Family(MetricName, "gauge", "Version of the running resshift daemon (always 1)");
        writer.Sample(MetricName, _labels, 1);
    }
}
