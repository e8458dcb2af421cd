using System.Runtime.InteropServices;

namespace ResShift.Engines.Cuda.Native;

/// <summary>
/// Owns one driver object of a context. Release makes the owning context current for the call (the finalizer
/// thread has none) and keeps the context alive until every object of it is gone (AddRef on the context handle).
/// Release failures are ignored on purpose: the context may already be tearing down at process exit.
/// </summary>
internal abstract class CudaObjectHandle : SafeHandle
{
    private readonly PrimaryContextHandle _context;

    protected CudaObjectHandle(PrimaryContextHandle context, nint value) : base(0, ownsHandle: true)
    {
        bool added = false;
        context.DangerousAddRef(ref added);
        _context = context;
        SetHandle(value);
    }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            CudaNativeMethods.PushContext(_context.DangerousGetHandle());
            try { Free(handle); }
            finally { CudaNativeMethods.PopContext(); }
        }
        catch (CudaException)
        {
        }
        finally
        {
            _context.DangerousRelease();
        }
        return true;
    }

    protected abstract void Free(nint value);
}

/// <summary>A retained primary context; released (cuDevicePrimaryCtxRelease) when the last user is gone.</summary>
internal sealed class PrimaryContextHandle : SafeHandle
{
    public PrimaryContextHandle(int device, nint context) : base(0, ownsHandle: true)
    {
        Device = device;
        SetHandle(context);
    }

    public int Device { get; }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaNativeMethods.ReleasePrimaryContext(Device) == 0;
}

internal sealed class StreamHandle(PrimaryContextHandle context, nint stream) : CudaObjectHandle(context, stream)
{
    protected override void Free(nint value) => CudaNativeMethods.StreamDestroy(value);
}

internal sealed class EventHandle(PrimaryContextHandle context, nint ev) : CudaObjectHandle(context, ev)
{
    protected override void Free(nint value) => CudaNativeMethods.EventDestroy(value);
}

/// <summary>CUdeviceptr is a 64-bit integer on every platform we run on; stored as nint for SafeHandle.</summary>
internal sealed class DeviceMemoryHandle(PrimaryContextHandle context, ulong pointer) : CudaObjectHandle(context, (nint)pointer)
{
    protected override void Free(nint value) => CudaNativeMethods.MemFree((ulong)value);
}

internal sealed class PinnedMemoryHandle(PrimaryContextHandle context, nint pointer) : CudaObjectHandle(context, pointer)
{
    protected override void Free(nint value) => CudaNativeMethods.MemFreeHost(value);
}

internal sealed class CudaModuleHandle(PrimaryContextHandle context, nint module) : CudaObjectHandle(context, module)
{
    protected override void Free(nint value) => CudaNativeMethods.ModuleUnload(value);
}
