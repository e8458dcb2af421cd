using Prometheus;

namespace ResShift.Pipeline.Metrics;

/// <summary>
/// A labelled prometheus-net gauge whose series are exactly those reported at the last scrape (running jobs,
/// registered watch roots): a series not reported again is removed. Path-like values are redacted and at most
/// <see cref="MetricsRegistry.MaxSeriesPerFamily"/> series are kept.
/// </summary>
public sealed class LiveGauge
{
    private readonly Gauge _metric;
    private readonly HashSet<LabelValues> _shown = [];
    private readonly Lock _lock = new();

    public LiveGauge(string name, string help, params string[] labels)
        : this(MetricsRegistry.Gauge(name, help, labels))
    {
    }

    /// <summary>Over a gauge from any registry (tests).</summary>
    public LiveGauge(Gauge metric)
    {
        if (metric.LabelNames.Length is 0 or > LabelValues.Max) throw new ArgumentException($"{metric.Name}: 1 to {LabelValues.Max} labels", nameof(metric));
        _metric = metric;
    }

    public Gauge Metric => _metric;

    /// <summary>Call from a before-collect callback with every series that exists now (label values in label order).</summary>
    public void Observe(IEnumerable<(double Value, string[] Labels)> series)
    {
        lock (_lock)
        {
            var now = new HashSet<LabelValues>();
            foreach (var (value, labels) in series)
            {
                if (now.Count >= MetricsRegistry.MaxSeriesPerFamily) break;
                var key = Key(labels);
                if (!now.Add(key)) continue;
                _metric.WithLabels(key.ToArray()).Set(value);
            }
            foreach (var gone in _shown.Where(k => !now.Contains(k)).ToList()) _metric.RemoveLabelled(gone.ToArray());
            _shown.Clear();
            _shown.UnionWith(now);
        }
    }

    private LabelValues Key(string[] labels)
    {
        if (labels.Length != _metric.LabelNames.Length) throw new ArgumentException($"{_metric.Name}: expected {_metric.LabelNames.Length} label values", nameof(labels));
        var key = new LabelValues(labels.Length);
        for (int i = 0; i < labels.Length; i++) key = key.With(i, LabelValue.Safe(labels[i]));
        return key;
    }
}
