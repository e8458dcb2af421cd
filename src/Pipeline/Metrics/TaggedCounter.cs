using Prometheus;

namespace ResShift.Pipeline.Metrics;

/// <summary>
/// A prometheus-net <see cref="Prometheus.Counter"/> recorded through tags by label name
/// (<c>Jobs.Add(1, new("source", s), new("result", "ok"))</c>), with its labelled children cached, paths
/// redacted and the series capped (see <see cref="LabelledChildren{TChild}"/>). Unlabelled: <c>Tiles.Add(n)</c>.
/// </summary>
public sealed class TaggedCounter
{
    private readonly LabelledChildren<Counter.Child> _children;

    public TaggedCounter(string name, string help, params string[] labels)
        : this(MetricsRegistry.Factory, name, help, labels)
    {
    }

    /// <summary>In another registry's factory (tests).</summary>
    public TaggedCounter(IMetricFactory factory, string name, string help, params string[] labels)
    {
        if (labels.Length > LabelValues.Max) throw new ArgumentException($"{name}: at most {LabelValues.Max} labels", nameof(labels));
        Metric = factory.CreateCounter(name, MetricsRegistry.Help(name, help), new CounterConfiguration { LabelNames = labels, SuppressInitialValue = true });
        _children = new LabelledChildren<Counter.Child>(Metric);
    }

    /// <summary>The prometheus-net metric itself (name, help, labels as exported).</summary>
    public Counter Metric { get; }

    public void Add(long value) => Metric.Inc(value);

    public void Add(long value, KeyValuePair<string, object?> tag) => _children.Get([tag])?.Inc(value);

    public void Add(long value, KeyValuePair<string, object?> tag1, KeyValuePair<string, object?> tag2) => _children.Get([tag1, tag2])?.Inc(value);

    public void Add(long value, params ReadOnlySpan<KeyValuePair<string, object?>> tags) => _children.Get(tags)?.Inc(value);

    /// <summary>Label values in the counter's label order.</summary>
    public void Inc(params ReadOnlySpan<string> labelValues) => _children.Get(labelValues)?.Inc();

    /// <summary>Exports the series at 0 now (a series that first appears at 1 is invisible to increase()).</summary>
    public void Publish(params ReadOnlySpan<string> labelValues) => _children.Get(labelValues)?.Publish();
}
