using System.Collections.Concurrent;
using Prometheus;

namespace ResShift.Pipeline.Metrics;

/// <summary>
/// The labelled children of one prometheus-net metric, cached by their label values so recording into an existing
/// series allocates nothing (prometheus-net's own WithLabels looks the series up under a lock and may allocate).
/// Adds what prometheus-net lacks: path-like values become <see cref="LabelValue.RedactedPath"/>, and at most
/// <see cref="MetricsRegistry.MaxSeriesPerFamily"/> series are created; further combinations are dropped.
/// </summary>
internal sealed class LabelledChildren<TChild>(Collector<TChild> metric, int maxSeries = MetricsRegistry.MaxSeriesPerFamily)
    where TChild : ChildBase
{
    private readonly ConcurrentDictionary<LabelValues, TChild> _children = new();
    private readonly string[] _names = metric.LabelNames;

    public Collector<TChild> Metric => metric;

    public IReadOnlyList<string> Names => _names;

    /// <summary>The series for tags given by name, in any order (a missing tag is ""); null once the family is full.</summary>
    public TChild? Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var values = new LabelValues(_names.Length);
        foreach (var tag in tags)
        {
            int i = Array.IndexOf(_names, tag.Key);
            if (i < 0) throw new ArgumentException($"{metric.Name} has no label \"{tag.Key}\" (labels: {string.Join(", ", _names)})", nameof(tags));
            values = values.With(i, LabelValue.Safe(LabelValue.Text(tag.Value)));
        }
        return Get(values);
    }

    /// <summary>The series for values in label order; null once the family is full.</summary>
    public TChild? Get(params ReadOnlySpan<string> values)
    {
        var key = new LabelValues(_names.Length);
        for (int i = 0; i < values.Length; i++) key = key.With(i, LabelValue.Safe(values[i]));
        return Get(key);
    }

    public void Remove(params ReadOnlySpan<string> values)
    {
        var key = new LabelValues(_names.Length);
        for (int i = 0; i < values.Length; i++) key = key.With(i, LabelValue.Safe(values[i]));
        if (_children.TryRemove(key, out _)) metric.RemoveLabelled(key.ToArray());
    }

    private TChild? Get(LabelValues key)
    {
        if (_children.TryGetValue(key, out var child)) return child;
        if (_children.Count >= maxSeries) return null;
        return _children.GetOrAdd(key, static (k, m) => m.WithLabels(k.ToArray()), metric);
    }
}
