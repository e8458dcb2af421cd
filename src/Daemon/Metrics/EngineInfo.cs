using Prometheus;
using ResShift.Pipeline.Metrics;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// <c>resshift_engine_info{model,engine,precision,device} 1</c> for each engine the daemon has loaded, and
/// <c>resshift_gpu_memory_used_bytes{device}</c> for each GPU they run on. Registrations are counted, so two
/// pipelines sharing one engine description unregister independently.
/// </summary>
public sealed class EngineInfo
{
    public const string MetricName = "resshift_engine_info";

    private readonly Gauge _info;
    private readonly Gauge _gpuMemory;
    private readonly Dictionary<(string Model, string Engine, string Precision, string Device), int> _engines = [];
    private readonly Dictionary<string, Func<long?>> _gpus = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    internal EngineInfo(IMetricFactory factory, CollectorRegistry registry)
    {
        _info = factory.CreateGauge(MetricName, "Inference engines loaded by the daemon (always 1)", ["device", "engine", "model", "precision"]);
        _gpuMemory = factory.CreateGauge("resshift_gpu_memory_used_bytes", "GPU memory in use on the device (cuMemGetInfo total - free, every process)",
            new GaugeConfiguration { LabelNames = ["device"], SuppressInitialValue = true });
        registry.AddBeforeCollectCallback(ObserveGpus);
    }

    /// <summary>Adds an engine; dispose the result (or call <see cref="Unregister"/>) when it is unloaded.</summary>
    /// <exception cref="ArgumentException">A value is empty or looks like a file path (paths never become label values).</exception>
    public IDisposable Register(string model, string engine, string precision, string device)
    {
        var key = Key(model, engine, precision, device);
        lock (_lock)
        {
            _engines[key] = _engines.GetValueOrDefault(key) + 1;
            _info.WithLabels(key.Device, key.Engine, key.Model, key.Precision).Set(1);
        }
        return new Registration(() => Remove(key));
    }

    /// <summary>Removes one registration; false when there was none.</summary>
    public bool Unregister(string model, string engine, string precision, string device) => Remove(Key(model, engine, precision, device));

    public int Count { get { lock (_lock) return _engines.Count; } }

    /// <summary>Reports <paramref name="usedBytes"/> (null: no figure this scrape) as the device's GPU memory until disposed.</summary>
    internal IDisposable WatchGpuMemory(string device, Func<long?> usedBytes)
    {
        Check(nameof(device), device);
        lock (_lock) _gpus[device] = usedBytes;
        return new Registration(() =>
        {
            lock (_lock)
            {
                if (_gpus.Remove(device)) _gpuMemory.RemoveLabelled(device);
            }
        });
    }

    private void ObserveGpus()
    {
        lock (_lock)
        {
            foreach (var (device, used) in _gpus)
            {
                if (used() is { } bytes) _gpuMemory.WithLabels(device).Set(bytes);
                else _gpuMemory.RemoveLabelled(device); // a failed query reports nothing rather than a stale figure
            }
        }
    }

    private bool Remove((string Model, string Engine, string Precision, string Device) key)
    {
        lock (_lock)
        {
            if (!_engines.TryGetValue(key, out int n)) return false;
            if (n > 1)
            {
                _engines[key] = n - 1;
                return true;
            }
            _engines.Remove(key);
            _info.RemoveLabelled(key.Device, key.Engine, key.Model, key.Precision);
            return true;
        }
    }

    private static (string Model, string Engine, string Precision, string Device) Key(string model, string engine, string precision, string device)
    {
        Check(nameof(model), model);
        Check(nameof(engine), engine);
        Check(nameof(precision), precision);
        Check(nameof(device), device);
        return (model, engine, precision, device);
    }

    private static void Check(string label, string value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"engine info: {label} is empty", label);
        if (LabelValue.LooksLikePath(value))
            throw new ArgumentException($"engine info: {label} \"{value}\" looks like a path; pass an id (model id, \"cuda:0\"), never a path", label);
    }

    private sealed class Registration(Action remove) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) remove();
        }
    }
}
