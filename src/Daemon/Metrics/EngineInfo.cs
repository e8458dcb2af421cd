namespace ResShift.Daemon.Metrics;

/// <summary>
/// <c>resshift_engine_info{model,engine,precision,device} 1</c> for each engine the daemon has loaded.
/// Registrations are counted, so two pipelines sharing one engine description unregister independently.
/// </summary>
public sealed class EngineInfo : IMetricsCollector
{
    public const string MetricName = "resshift_engine_info";

    private readonly Dictionary<SeriesKey, int> _engines = new(SeriesKeyComparer.Instance);
    private readonly Lock _lock = new();

    /// <summary>Adds an engine; dispose the result (or call <see cref="Unregister"/>) when it is unloaded.</summary>
    /// <exception cref="ArgumentException">A value is empty or looks like a file path (paths never become label values).</exception>
    public IDisposable Register(string model, string engine, string precision, string device)
    {
        var key = Key(model, engine, precision, device);
        lock (_lock) _engines[key] = _engines.GetValueOrDefault(key) + 1;
        return new Registration(this, key);
    }

    /// <summary>Removes one registration; false when there was none.</summary>
    public bool Unregister(string model, string engine, string precision, string device) => Remove(Key(model, engine, precision, device));

    public int Count { get { lock (_lock) return _engines.Count; } }

    void IMetricsCollector.Collect(PrometheusTextWriter writer)
    {
        string[] rendered;
        lock (_lock) rendered = [.. _engines.Keys.Select(k => k.Rendered)];
        if (rendered.Length == 0) return;
        Array.Sort(rendered, StringComparer.Ordinal);
        writer.Family(MetricName, "gauge", "Inference engines loaded by the daemon (always 1)");
        foreach (var labels in rendered) writer.Sample(MetricName, labels, 1);
    }

    private bool Remove(SeriesKey key)
    {
        lock (_lock)
        {
            if (!_engines.TryGetValue(key, out int n)) return false;
            if (n <= 1) _engines.Remove(key);
            else _engines[key] = n - 1;
            return true;
        }
    }

    private static SeriesKey Key(string model, string engine, string precision, string device)
    {
        Check(nameof(model), model);
        Check(nameof(engine), engine);
        Check(nameof(precision), precision);
        Check(nameof(device), device);
        return SeriesKey.From(("model", model), ("engine", engine), ("precision", precision), ("device", device));
    }

    private static void Check(string label, string value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"engine info: {label} is empty", label);
        if (SeriesKey.LooksLikePath(value))
            throw new ArgumentException($"engine info: {label} \"{value}\" looks like a path; pass an id (model id, \"cuda:0\"), never a path", label);
    }

    private sealed class Registration(EngineInfo owner, SeriesKey key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Remove(key);
        }
    }
}
