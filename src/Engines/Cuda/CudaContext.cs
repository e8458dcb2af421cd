using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.Cuda;

/// <summary>
/// The device's primary context (the one the CUDA runtime and TensorRT also use, so our pointers and streams are
/// valid in TensorRT's calls). Every operation makes it current for the calling thread only for its duration.
/// </summary>
public sealed class CudaContext : IDisposable
{
    internal PrimaryContextHandle Handle { get; }

    public CudaDevice Device { get; }

    public CudaContext(int ordinal = 0)
    {
        Device = CudaDevice.Get(ordinal);
        int d = CudaNativeMethods.Device(ordinal);
        Handle = new PrimaryContextHandle(d, CudaNativeMethods.RetainPrimaryContext(d));
    }

    /// <summary>Makes this context current until the scope is disposed.</summary>
    public Scope Enter()
    {
        CudaNativeMethods.PushContext(Handle.DangerousGetHandle());
        return new Scope();
    }

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => CudaNativeMethods.PopContext();
    }

    public void Synchronize()
    {
        using var _ = Enter();
        CudaNativeMethods.ContextSynchronize();
    }

    /// <summary>cuMemGetInfo: free and total bytes of the device, as the driver sees them (all processes).</summary>
    public (ulong FreeBytes, ulong TotalBytes) MemoryInfo()
    {
        using var _ = Enter();
        return CudaNativeMethods.MemoryInfo();
    }

    public CudaStream CreateStream() => new(this);

    public CudaEvent CreateEvent(bool timing = false) => new(this, timing);

    public DeviceBuffer Allocate(long bytes) => new(this, bytes);

    public PinnedBuffer AllocatePinned(long bytes) => new(this, bytes);

    public void Dispose() => Handle.Dispose();
}
