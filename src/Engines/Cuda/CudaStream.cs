using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.Cuda;

/// <summary>A non-blocking stream (does not synchronise with the legacy default stream).</summary>
public sealed class CudaStream : IDisposable
{
    private const uint NonBlocking = 1; // CU_STREAM_NON_BLOCKING
    private readonly CudaContext _context;
    private readonly StreamHandle _handle;

    internal CudaStream(CudaContext context)
    {
        _context = context;
        using var _ = context.Enter();
        _handle = new StreamHandle(context.Handle, CudaNativeMethods.StreamCreate(NonBlocking));
    }

    /// <summary>The CUstream (= cudaStream_t), for TensorRT's enqueueV3.</summary>
    public nint NativeHandle => _handle.DangerousGetHandle();

    public void Synchronize()
    {
        using var _ = _context.Enter();
        CudaNativeMethods.StreamSynchronize(NativeHandle);
    }

    /// <summary>Later work on this stream waits until <paramref name="ev"/> has completed.</summary>
    public void Wait(CudaEvent ev)
    {
        using var _ = _context.Enter();
        CudaNativeMethods.StreamWaitEvent(NativeHandle, ev.NativeHandle);
    }

    /// <summary>
    /// Completes when every operation queued on this stream so far has finished, without blocking a thread:
    /// cuLaunchHostFunc queues a callback that completes the task from the driver's own thread (continuations run
    /// asynchronously, never on that thread, which must not call CUDA). Afterwards cuStreamQuery turns an error of
    /// the queued work (an illegal address in a kernel, say) into a <see cref="CudaException"/>.
    /// </summary>
    public async Task WhenIdleAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        GCHandle handle = GCHandle.Alloc(done);
        try
        {
            using (_context.Enter())
                unsafe { CudaNativeMethods.LaunchHostFunc(NativeHandle, &OnStreamIdle, GCHandle.ToIntPtr(handle)); }
        }
        catch
        {
            handle.Free();
            throw;
        }
        await done.Task.ConfigureAwait(false);
        using (_context.Enter())
            CudaNativeMethods.StreamQuery(NativeHandle);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnStreamIdle(nint userData)
    {
        GCHandle handle = GCHandle.FromIntPtr(userData);
        var done = (TaskCompletionSource)handle.Target!;
        handle.Free();
        done.TrySetResult();
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>An event: orders work between streams, and (when created with timing) measures GPU time.</summary>
public sealed class CudaEvent : IDisposable
{
    private const uint DisableTiming = 2; // CU_EVENT_DISABLE_TIMING: cheaper when only used for ordering
    private readonly CudaContext _context;
    private readonly EventHandle _handle;

    internal CudaEvent(CudaContext context, bool timing)
    {
        _context = context;
        using var _ = context.Enter();
        _handle = new EventHandle(context.Handle, CudaNativeMethods.EventCreate(timing ? 0u : DisableTiming));
    }

    internal nint NativeHandle => _handle.DangerousGetHandle();

    public void Record(CudaStream stream)
    {
        using var _ = _context.Enter();
        CudaNativeMethods.EventRecord(NativeHandle, stream.NativeHandle);
    }

    public void Synchronize()
    {
        using var _ = _context.Enter();
        CudaNativeMethods.EventSynchronize(NativeHandle);
    }

    /// <summary>GPU milliseconds from <paramref name="start"/> to this event (both created with timing).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        using var _ = _context.Enter();
        return CudaNativeMethods.EventElapsedMilliseconds(start.NativeHandle, NativeHandle);
    }

    public void Dispose() => _handle.Dispose();
}
