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
            {
                CudaContext context = gpu.Context;
                _registrations.Add(info.WatchGpuMemory(gpu.Device, () => GpuMemoryMetrics.TryUsedBytes(context)));
            }
        }
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
