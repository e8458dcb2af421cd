namespace ResShift.Engines.Cuda;

/// <summary>
/// The GPU memory figure for <c>resshift_gpu_memory_used_bytes</c>: total − free from cuMemGetInfo (the whole
/// device, every process, as nvidia-smi shows it). The host registers it on its own Meter so the Engines
/// assembly stays free of metrics plumbing:
/// <code>
/// var meter = new Meter("ResShift.Gpu");
/// meter.CreateObservableGauge("resshift_gpu_memory_used_bytes", () => GpuMemoryMetrics.UsedBytes(context), "By",
///     "GPU memory in use on the device (cuMemGetInfo total - free)");
/// </code>
/// Observing it never throws: a failed query reports no measurement rather than breaking the scrape.
/// </summary>
public static class GpuMemoryMetrics
{
    public const string MeterName = "ResShift.Gpu";
    public const string UsedBytesInstrument = "resshift_gpu_memory_used_bytes";

    public static IEnumerable<System.Diagnostics.Metrics.Measurement<long>> UsedBytes(CudaContext context)
    {
        long? used = TryUsedBytes(context);
        return used is null ? [] : [new System.Diagnostics.Metrics.Measurement<long>(used.Value)];
    }

    public static long? TryUsedBytes(CudaContext context)
    {
        try
        {
            var (free, total) = context.MemoryInfo();
            return (long)(total - free);
        }
        catch (Exception e) when (e is CudaException or ObjectDisposedException)
        {
            return null;
        }
    }
}
