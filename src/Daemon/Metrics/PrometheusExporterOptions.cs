namespace ResShift.Daemon.Metrics;

public sealed class PrometheusExporterOptions
{
    /// <summary>The version label of resshift_build_info; null means <see cref="BuildInfo.Version"/>.</summary>
    public string? Version { get; set; }

    /// <summary>Adds the process_* and dotnet_* families.</summary>
    public bool ProcessMetrics { get; set; } = true;
}
