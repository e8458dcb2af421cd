using Prometheus;

namespace ResShift.Pipeline.Metrics;

/// <summary>
/// A prometheus-net <see cref="Prometheus.Histogram"/> recorded through tags by label name
/// (<c>StageDuration.Record(0.2, new("stage", "denoise"))</c>), children cached, paths redacted, series capped.
/// NaN is not recorded (it would poison the sum for the life of the process).
/// </summary>
public sealed class TaggedHistogram
{
    private readonly LabelledChildren<Histogram.Child> _children;

    public TaggedHistogram(string name, string help, IReadOnlyList<double> buckets, params string[] labels)
        : this(MetricsRegistry.Factory, name, help, buckets, labels)
    {
    }

    /// <summary>In another registry's factory (tests).</summary>
    public TaggedHistogram(IMetricFactory factory, string name, string help, IReadOnlyList<double> buckets, params string[] labels)
    {
        if (labels.Length > LabelValues.Max) throw new ArgumentException($"{name}: at most {LabelValues.Max} labels", nameof(labels));
        Metric = factory.CreateHistogram(name, MetricsRegistry.Help(name, help), new HistogramConfiguration { LabelNames = labels, Buckets = [.. buckets], SuppressInitialValue = true });
        _children = new LabelledChildren<Histogram.Child>(Metric);
    }

    /// <summary>The prometheus-net metric itself (name, help, labels and buckets as exported).</summary>
    public Histogram Metric { get; }

    public void Record(double value)
    {
        if (!double.IsNaN(value)) Metric.Observe(value);
    }

    public void Record(double value, KeyValuePair<string, object?> tag)
    {
        if (!double.IsNaN(value)) _children.Get([tag])?.Observe(value);
    }

    public void Record(double value, params ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!double.IsNaN(value)) _children.Get(tags)?.Observe(value);
    }

    /// <summary>Label values in the histogram's label order.</summary>
    public void Observe(double value, params ReadOnlySpan<string> labelValues)
    {
        if (!double.IsNaN(value)) _children.Get(labelValues)?.Observe(value);
    }
}
