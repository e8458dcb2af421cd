using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.Cuda;

/// <summary>Device memory (cuMemAlloc). Copies are asynchronous on the given stream; offsets and lengths in bytes.</summary>
public sealed class DeviceBuffer : IDisposable
{
    private readonly CudaContext _context;
    private readonly DeviceMemoryHandle _handle;

    internal DeviceBuffer(CudaContext context, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        _context = context;
        Bytes = bytes;
        using var _ = context.Enter();
        _handle = new DeviceMemoryHandle(context.Handle, CudaNativeMethods.MemAlloc((nuint)bytes));
    }

    public long Bytes { get; }

    /// <summary>The CUdeviceptr, for kernel arguments and TensorRT tensor addresses.</summary>
    public ulong Pointer => (ulong)_handle.DangerousGetHandle();

    public void CopyFromAsync(PinnedBuffer source, long bytes, CudaStream stream, long sourceOffset = 0, long offset = 0)
    {
        CheckRange(offset, bytes, Bytes, nameof(bytes));
        CheckRange(sourceOffset, bytes, source.Bytes, nameof(sourceOffset));
        using var _ = _context.Enter();
        CudaNativeMethods.CopyHostToDeviceAsync(Pointer + (ulong)offset, source.Pointer + (nint)sourceOffset, (nuint)bytes, stream.NativeHandle);
    }

    public void CopyToAsync(PinnedBuffer destination, long bytes, CudaStream stream, long offset = 0, long destinationOffset = 0)
    {
        CheckRange(offset, bytes, Bytes, nameof(bytes));
        CheckRange(destinationOffset, bytes, destination.Bytes, nameof(destinationOffset));
        using var _ = _context.Enter();
        CudaNativeMethods.CopyDeviceToHostAsync(destination.Pointer + (nint)destinationOffset, Pointer + (ulong)offset, (nuint)bytes, stream.NativeHandle);
    }

    public void CopyToAsync(DeviceBuffer destination, long bytes, CudaStream stream, long offset = 0, long destinationOffset = 0)
    {
        CheckRange(offset, bytes, Bytes, nameof(bytes));
        CheckRange(destinationOffset, bytes, destination.Bytes, nameof(destinationOffset));
        using var _ = _context.Enter();
        CudaNativeMethods.CopyDeviceToDeviceAsync(destination.Pointer + (ulong)destinationOffset, Pointer + (ulong)offset, (nuint)bytes, stream.NativeHandle);
    }

    internal static void CheckRange(long offset, long bytes, long capacity, string name)
    {
        if (offset < 0 || bytes < 0 || offset + bytes > capacity)
            throw new ArgumentOutOfRangeException(name, $"range [{offset}, {offset + bytes}) is outside a buffer of {capacity} bytes");
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>Page-locked host memory (cuMemHostAlloc, portable): the only host memory async copies overlap with.</summary>
public sealed unsafe class PinnedBuffer : IDisposable
{
    private const uint Portable = 1; // CU_MEMHOSTALLOC_PORTABLE
    private readonly PinnedMemoryHandle _handle;

    internal PinnedBuffer(CudaContext context, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (bytes > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "pinned buffers are limited to 2 GiB (Span length)");
        Bytes = bytes;
        using var _ = context.Enter();
        _handle = new PinnedMemoryHandle(context.Handle, CudaNativeMethods.MemHostAlloc((nuint)bytes, Portable));
    }

    public long Bytes { get; }

    internal nint Pointer => _handle.DangerousGetHandle();

    public Span<T> AsSpan<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return new Span<T>((void*)Pointer, (int)(Bytes / sizeof(T)));
    }

    public void Dispose() => _handle.Dispose();
}
