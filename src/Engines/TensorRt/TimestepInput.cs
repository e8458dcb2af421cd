using System.Runtime.InteropServices;

namespace ResShift.Engines.TensorRt;

/// <summary>
/// The denoiser's <c>t</c> input in the element type the engine declares: the graph contract accepts int64 (the
/// PyTorch export) and int32 (what TensorRT narrows int64 to, or an export that asks for it), and the bytes
/// uploaded must match, or the engine reads two int32 steps out of each int64.
/// </summary>
public static class TimestepInput
{
    public static int ElementSize(TrtDataType type) => type switch
    {
        TrtDataType.Int64 => sizeof(long),
        TrtDataType.Int32 => sizeof(int),
        _ => throw new InvalidDataException($"denoiser input 't' is {type}; the contract allows int64 or int32"),
    };

    /// <summary>Writes <paramref name="batch"/> copies of <paramref name="t"/>; returns the bytes written.</summary>
    public static int Write(TrtDataType type, long t, int batch, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int bytes = ElementSize(type) * batch;
        if (destination.Length < bytes) throw new ArgumentException($"{destination.Length} bytes cannot hold {batch} timesteps of {type}", nameof(destination));
        if (type == TrtDataType.Int64)
            MemoryMarshal.Cast<byte, long>(destination[..bytes]).Fill(t);
        else
            MemoryMarshal.Cast<byte, int>(destination[..bytes]).Fill(checked((int)t));
        return bytes;
    }
}
