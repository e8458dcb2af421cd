using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Tensors over caller memory, zero-copy: <see cref="OrtValue.CreateTensorValueFromMemory{T}(OrtMemoryInfo, Memory{T}, long[])"/>
/// pins the memory until the value is disposed, and ORT reads inputs and writes outputs in place. The shape is
/// checked against the buffer first, so a mistake is an <see cref="ArgumentException"/> naming both.
/// </summary>
public static class OrtTensors
{
    /// <summary>A tensor ORT may write (an output, or an input it will only read).</summary>
    public static OrtValue Over<T>(Memory<T> data, params long[] shape) where T : unmanaged
    {
        long elements = ElementCount(shape);
        if (elements != data.Length)
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] holds {elements} elements but the buffer has {data.Length}.", nameof(shape));
        return OrtValue.CreateTensorValueFromMemory(OrtEnvironment.CpuMemory, data, shape);
    }

    /// <summary>An input tensor. ORT never writes inputs, so read-only memory is safe to hand over.</summary>
    public static OrtValue Over<T>(ReadOnlyMemory<T> data, params long[] shape) where T : unmanaged =>
        Over(MemoryMarshal.AsMemory(data), shape);

    private static long ElementCount(long[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Tensor dimensions must be >= 0: [{string.Join(",", shape)}].", nameof(shape));
            count = checked(count * d);
        }
        return count;
    }
}
