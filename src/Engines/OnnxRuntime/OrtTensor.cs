using System.Buffers;
using System.Runtime.InteropServices;
using ResShift.Engines.OnnxRuntime.Native;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// An OrtValue tensor. Made over caller memory (<see cref="Over{T}(Memory{T}, ReadOnlySpan{long})"/>) it is a
/// zero-copy view: the memory stays pinned until the tensor is disposed and ORT reads and writes it in place.
/// Made by ORT (outputs it allocated) it owns native memory; read it with <see cref="ToArray{T}"/>.
/// </summary>
public sealed unsafe class OrtTensor : IDisposable
{
    private OrtTensor(OrtValueHandle handle, TensorElementType elementType, long[] shape)
    {
        Handle = handle;
        ElementType = elementType;
        Shape = shape;
    }

    internal OrtValueHandle Handle { get; }

    public TensorElementType ElementType { get; }

    public IReadOnlyList<long> Shape { get; }

    public static TensorElementType ElementTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? TensorElementType.Float
        : typeof(T) == typeof(Half) ? TensorElementType.Float16
        : typeof(T) == typeof(long) ? TensorElementType.Int64
        : throw new NotSupportedException($"Tensors of {typeof(T).Name} are not supported (float, Half, long are).");

    /// <summary>A tensor ORT may write (an output, or an input it will only read).</summary>
    public static OrtTensor Over<T>(Memory<T> data, ReadOnlySpan<long> shape) where T : unmanaged =>
        Create(data.Length, data.Pin(), shape, ElementTypeOf<T>());

    /// <summary>An input tensor. ORT never writes inputs, so read-only memory is safe to hand over.</summary>
    public static OrtTensor Over<T>(ReadOnlyMemory<T> data, ReadOnlySpan<long> shape) where T : unmanaged =>
        Create(data.Length, data.Pin(), shape, ElementTypeOf<T>());

    private static OrtTensor Create(int length, MemoryHandle pin, ReadOnlySpan<long> shape, TensorElementType type)
    {
        try
        {
            var elements = ElementCount(shape);
            if (elements != length)
                throw new ArgumentException(
                    $"Shape [{string.Join(",", shape.ToArray())}] holds {elements} elements but the buffer has {length}.", nameof(shape));
            var bytes = (nuint)length * (nuint)ElementSize(type);
            var handle = NativeMethods.CreateTensorWithData(OrtEnvironment.CpuMemory, pin, bytes, shape, type);
            return new OrtTensor(handle, type, shape.ToArray());
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an ORT-allocated output value; the tensor owns it.</summary>
    internal static OrtTensor FromOwned(OrtValueHandle handle)
    {
        var (type, shape) = NativeMethods.GetTensorTypeAndShape(handle);
        return new OrtTensor(handle, type, shape);
    }

    /// <summary>Copies the tensor's elements out (for ORT-allocated outputs and tests).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (ElementTypeOf<T>() != ElementType)
            throw new InvalidOperationException($"The tensor holds {ElementType}, not {typeof(T).Name}.");
        var count = checked((int)ElementCount(Shape.ToArray()));
        var data = NativeMethods.GetTensorData(Handle);
        return new ReadOnlySpan<T>(data, count).ToArray();
    }

    public void Dispose() => Handle.Dispose();

    private static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Tensor dimensions must be >= 0: [{string.Join(",", shape.ToArray())}].", nameof(shape));
            count = checked(count * d);
        }
        return count;
    }

    private static int ElementSize(TensorElementType type) => type switch
    {
        TensorElementType.Float => sizeof(float),
        TensorElementType.Float16 => sizeof(Half),
        TensorElementType.Int64 => sizeof(long),
        _ => throw new NotSupportedException(type.ToString()),
    };
}
