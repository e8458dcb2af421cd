using System.Diagnostics.Metrics;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// Listens to the meters whose names start with the configured prefixes and aggregates their measurements
/// into Prometheus families. Instrument names are taken verbatim (ours already carry units and _total).
/// </summary>
internal sealed class MeterCollector : IMetricsCollector, IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly IReadOnlyList<string> _prefixes;
    private readonly IReadOnlyDictionary<string, double[]> _bucketOverrides;
    private readonly int _maxSeries;
    private readonly Dictionary<string, (MeterFamily Family, int Instruments)> _families = new(StringComparer.Ordinal);
    private readonly Lock _familiesLock = new();
    private readonly Lock _collectLock = new();

    public MeterCollector(IEnumerable<string> meterPrefixes, IReadOnlyDictionary<string, double[]>? bucketOverrides = null, int maxSeriesPerFamily = 1000)
    {
        _prefixes = [.. meterPrefixes];
        _bucketOverrides = bucketOverrides ?? new Dictionary<string, double[]>();
        _maxSeries = maxSeriesPerFamily;
        _listener.InstrumentPublished = OnPublished;
        _listener.MeasurementsCompleted = OnCompleted;
        _listener.SetMeasurementEventCallback<double>(static (_, v, tags, state) => ((MeterFamily)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, v, tags, state) => ((MeterFamily)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, v, tags, state) => ((MeterFamily)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, v, tags, state) => ((MeterFamily)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, v, tags, state) => ((MeterFamily)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, v, tags, state) => ((MeterFamily)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, v, tags, state) => ((MeterFamily)state!).Record((double)v, tags));
        _listener.Start();
    }

    public void Collect(PrometheusTextWriter writer)
    {
        lock (_collectLock)
        {
            MeterFamily[] families;
            lock (_familiesLock) families = [.. _families.Values.Select(f => f.Family).OrderBy(f => f.Name, StringComparer.Ordinal)];
            foreach (var f in families)
                if (f.Observable) f.Clear();
            _listener.RecordObservableInstruments();
            foreach (var f in families)
                if (!f.IsEmpty) f.Write(writer);
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnPublished(Instrument instrument, MeterListener listener)
    {
        if (!_prefixes.Any(p => instrument.Meter.Name.StartsWith(p, StringComparison.Ordinal))) return;
        var family = Join(instrument);
        if (family is not null) listener.EnableMeasurementEvents(instrument, family);
    }

    private void OnCompleted(Instrument instrument, object? state)
    {
        if (state is not MeterFamily family) return;
        lock (_familiesLock)
        {
            if (!_families.TryGetValue(family.Name, out var entry) || !ReferenceEquals(entry.Family, family)) return;
            if (entry.Instruments <= 1) _families.Remove(family.Name);
            else _families[family.Name] = (family, entry.Instruments - 1);
        }
    }

    /// <summary>The family this instrument feeds; null when another instrument already owns the name with another type.</summary>
    private MeterFamily? Join(Instrument instrument)
    {
        var created = Create(instrument);
        if (created is null) return null;
        lock (_familiesLock)
        {
            if (_families.TryGetValue(created.Name, out var entry))
            {
                if (!SameShape(entry.Family, created)) return null;
                _families[created.Name] = (entry.Family, entry.Instruments + 1);
                return entry.Family;
            }
            _families[created.Name] = (created, 1);
            return created;
        }
    }

    private static bool SameShape(MeterFamily a, MeterFamily b) => (a, b) switch
    {
        (HistogramFamily ha, HistogramFamily hb) => ha.Bounds.SequenceEqual(hb.Bounds),
        (ScalarFamily sa, ScalarFamily sb) => sa.Type == sb.Type && sa.Observable == sb.Observable && sa.Cumulative == sb.Cumulative,
        _ => false,
    };

    private MeterFamily? Create(Instrument instrument)
    {
        string name = PrometheusText.SanitizeMetricName(instrument.Name);
        string? help = instrument.Description;
        var kind = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : null;
        if (kind == typeof(Counter<>))
            return new ScalarFamily(CounterName(name), "counter", help, observable: false, cumulative: true, _maxSeries);
        if (kind == typeof(ObservableCounter<>))
            return new ScalarFamily(CounterName(name), "counter", help, observable: true, cumulative: false, _maxSeries);
        if (kind == typeof(UpDownCounter<>))
            return new ScalarFamily(name, "gauge", help, observable: false, cumulative: true, _maxSeries);
        if (kind == typeof(ObservableUpDownCounter<>) || kind == typeof(ObservableGauge<>))
            return new ScalarFamily(name, "gauge", help, observable: true, cumulative: false, _maxSeries);
        if (kind == typeof(Gauge<>))
            return new ScalarFamily(name, "gauge", help, observable: false, cumulative: false, _maxSeries);
        if (kind == typeof(Histogram<>))
            return new HistogramFamily(name, help, HistogramBuckets.For(name, _bucketOverrides, Advice(instrument)), _maxSeries);
        return null;
    }

    private static string CounterName(string name) => name.EndsWith("_total", StringComparison.Ordinal) ? name : name + "_total";

    private static IReadOnlyList<double>? Advice(Instrument instrument) => instrument switch
    {
        Instrument<double> d => d.Advice?.HistogramBucketBoundaries,
        Instrument<float> f => f.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
        Instrument<long> l => l.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
        Instrument<int> i => i.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
        _ => null,
    };
}
