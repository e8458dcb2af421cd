using Prometheus;

namespace ResShift.Pipeline.Metrics;

/// <summary>
/// The prometheus-net registry every recorded ResShift metric lives in (one per process: the instruments are
/// static, like the work they count). It is a custom registry, so prometheus-net's own default process/.NET
/// metrics and its meter/event-counter listeners never start; the daemon adds the process families it has
/// always exported (see ResShift.Daemon.Metrics).
/// </summary>
public static class MetricsRegistry
{
    /// <summary>Series per labelled family beyond which new label combinations are dropped (a guard against unbounded labels).</summary>
    public const int MaxSeriesPerFamily = 1000;

    public static readonly CollectorRegistry Shared = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>
    /// No exemplars: the text format we serve (0.0.4) has none, and looking up Activity.Current for one on every
    /// observation would be wasted work on the tile path.
    /// </summary>
    public static readonly MetricFactory Factory = new Func<MetricFactory>(() =>
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(Shared);
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        return factory;
    })();

    /// <summary>prometheus-net writes HELP text as given: a line feed or backslash in it would break the exposition.</summary>
    public static string Help(string name, string help) =>
        help.AsSpan().IndexOfAny('\n', '\\') < 0 ? help : throw new ArgumentException($"{name}: help text must not contain a line feed or backslash", nameof(help));

    /// <summary>A gauge that is exported from its creation (0 until set), as the observed gauges it replaces were.</summary>
    public static Gauge Gauge(string name, string help, params string[] labels) =>
        Factory.CreateGauge(name, Help(name, help), new GaugeConfiguration { LabelNames = labels });
}
