using System.Diagnostics.Metrics;
using ResShift.Engines.Abstractions;
using ResShift.Engines.Cuda;
using ResShift.Engines.TensorRt;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// What the exporter says about the engines the daemon loaded: <c>resshift_engine_info</c> with the device the
/// engine set reports (never assumed), and <c>resshift_gpu_memory_used_bytes{device}</c> once per GPU an engine
/// set runs on. Dispose at shutdown to unregister everything.
/// </summary>
public sealed class LoadedEngines(EngineInfo info) : IDisposable
{
    private readonly List<IDisposable> _registrations = [];
    private readonly HashSet<string> _gpus = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public void Add(string model, IEngineSet engines)
    {
        lock (_lock)
        {
            _registrations.Add(info.Register(model, engines.EngineName, engines.Precision, engines.Device));
            if (engines is TensorRtEngineSet gpu && _gpus.Add(gpu.Device))
                _registrations.Add(GpuMemoryGauge(gpu.Context, gpu.Device));
        }
    }

    private static Meter GpuMemoryGauge(CudaContext context, string device)
    {
        var meter = new Meter(GpuMemoryMetrics.MeterName);
        var tag = new KeyValuePair<string, object?>("device", device);
        meter.CreateObservableGauge(GpuMemoryMetrics.UsedBytesInstrument,
            () => GpuMemoryMetrics.UsedBytes(context).Select(m => new Measurement<long>(m.Value, tag)), "By",
            "GPU memory in use on the device (cuMemGetInfo total - free, every process)");
        return meter;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (IDisposable r in _registrations) r.Dispose();
            _registrations.Clear();
            _gpus.Clear();
        }
    }
}
