using System.Collections.Concurrent;

namespace ResShift.Daemon.Metrics;

/// <summary>One Prometheus metric family fed by System.Diagnostics.Metrics instruments of the same name.</summary>
internal abstract class MeterFamily(string name, string type, string? help, bool observable)
{
    public string Name { get; } = name;
    public string Type { get; } = type;
    public string? Help { get; } = help;

    /// <summary>Observable instruments report their whole state at each collection, so their series are rebuilt then.</summary>
    public bool Observable { get; } = observable;

    public abstract bool IsEmpty { get; }
    public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);
    public abstract void Clear();
    public abstract void Write(PrometheusTextWriter writer);
}

/// <summary>Series storage shared by all families: lock-free lookup straight from the tag span.</summary>
internal abstract class MeterFamily<TSeries> : MeterFamily where TSeries : class
{
    private readonly ConcurrentDictionary<SeriesKey, TSeries> _series = new(SeriesKeyComparer.Instance);
    private readonly ConcurrentDictionary<SeriesKey, TSeries>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>> _lookup;
    private readonly int _maxSeries;

    protected MeterFamily(string name, string type, string? help, bool observable, int maxSeries)
        : base(name, type, help, observable)
    {
        _lookup = _series.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
        _maxSeries = maxSeries;
    }

    public override bool IsEmpty => _series.IsEmpty;

    public override void Clear() => _series.Clear();

    /// <summary>The series for these tags, or null once the family holds its maximum (a label with unbounded values).</summary>
    protected TSeries? Series(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_lookup.TryGetValue(tags, out var found)) return found;
        var key = SeriesKey.From(tags);
        if (_series.TryGetValue(key, out found)) return found;
        if (_series.Count >= _maxSeries) return null;
        return _series.GetOrAdd(key, _ => NewSeries());
    }

    protected abstract TSeries NewSeries();

    /// <summary>Series ordered by their rendered labels, so scrapes are stable and diffable.</summary>
    protected KeyValuePair<SeriesKey, TSeries>[] Sorted()
    {
        var all = _series.ToArray();
        Array.Sort(all, static (a, b) => string.CompareOrdinal(a.Key.Rendered, b.Key.Rendered));
        return all;
    }
}

/// <summary>Counters and gauges: one double per series, added to or overwritten.</summary>
internal sealed class ScalarFamily(string name, string type, string? help, bool observable, bool cumulative, int maxSeries)
    : MeterFamily<ScalarFamily.Cell>(name, type, help, observable, maxSeries)
{
    internal sealed class Cell
    {
        private double _value;

        public double Value => Volatile.Read(ref _value);

        public void Add(double delta)
        {
            double seen = Volatile.Read(ref _value);
            while (true)
            {
                double was = Interlocked.CompareExchange(ref _value, seen + delta, seen);
                if (was.Equals(seen)) return;
                seen = was;
            }
        }

        public void Set(double value) => Interlocked.Exchange(ref _value, value);
    }

    /// <summary>True: measurements are deltas (Counter, UpDownCounter). False: they are the value (gauges, observables).</summary>
    public bool Cumulative { get; } = cumulative;

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var cell = Series(tags);
        if (cell is null) return;
        if (Cumulative) cell.Add(value);
        else cell.Set(value);
    }

    protected override Cell NewSeries() => new();

    public override void Write(PrometheusTextWriter writer)
    {
        writer.Family(Name, Type, Help);
        foreach (var (key, cell) in Sorted()) writer.Sample(Name, key.Rendered, cell.Value);
    }
}

/// <summary>Histograms: per series one count per bucket (non-cumulative while recording, summed on export) and a sum.</summary>
internal sealed class HistogramFamily(string name, string? help, double[] bounds, int maxSeries)
    : MeterFamily<HistogramFamily.Cell>(name, "histogram", help, observable: false, maxSeries)
{
    private readonly string[] _le = [.. bounds.Select(PrometheusText.FormatValue), "+Inf"];

    internal sealed class Cell(int buckets)
    {
        public readonly long[] Counts = new long[buckets];
        private double _sum;

        public double Sum => Volatile.Read(ref _sum);

        public void Observe(int bucket, double value)
        {
            Interlocked.Increment(ref Counts[bucket]);
            double seen = Volatile.Read(ref _sum);
            while (true)
            {
                double was = Interlocked.CompareExchange(ref _sum, seen + value, seen);
                if (was.Equals(seen)) return;
                seen = was;
            }
        }
    }

    public IReadOnlyList<double> Bounds => bounds;

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (double.IsNaN(value)) return; // would poison _sum for the life of the process
        var cell = Series(tags);
        cell?.Observe(BucketOf(value), value);
    }

    /// <summary>Index of the first bound &gt;= value (le is inclusive); bounds.Length is the +Inf bucket.</summary>
    internal int BucketOf(double value)
    {
        int i = Array.BinarySearch(bounds, value);
        return i >= 0 ? i : ~i;
    }

    protected override Cell NewSeries() => new(bounds.Length + 1);

    public override void Write(PrometheusTextWriter writer)
    {
        writer.Family(Name, Type, Help);
        string bucket = Name + "_bucket", sum = Name + "_sum", count = Name + "_count";
        foreach (var (key, cell) in Sorted())
        {
            // Read the sum first: a measurement racing the scrape then shows in the counts, never in the sum only.
            double s = cell.Sum;
            long cumulative = 0;
            for (int i = 0; i < cell.Counts.Length; i++)
            {
                cumulative += Interlocked.Read(ref cell.Counts[i]);
                writer.Sample(bucket, key.Rendered, "le", _le[i], cumulative);
            }
            writer.Sample(sum, key.Rendered, s);
            writer.Sample(count, key.Rendered, cumulative); // +Inf bucket == count by construction
        }
    }
}
