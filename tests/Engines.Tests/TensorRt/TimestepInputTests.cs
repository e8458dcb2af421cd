using System.Runtime.InteropServices;
using ResShift.Engines.TensorRt;

namespace ResShift.Engines.Tests.TensorRt;

/// <summary>The denoiser's t goes up in the type the engine declares (the slot used to upload int64 always).</summary>
public class TimestepInputTests
{
    [Fact]
    public void Int64_engines_get_one_int64_per_tile()
    {
        var buffer = new byte[64];
        Assert.Equal(3 * 8, TimestepInput.Write(TrtDataType.Int64, 3, 3, buffer));
        Assert.Equal([3L, 3L, 3L, 0L], MemoryMarshal.Cast<byte, long>(buffer)[..4].ToArray());
    }

    [Fact]
    public void Int32_engines_get_one_int32_per_tile_not_int64_halves()
    {
        var buffer = new byte[64];
        Assert.Equal(3 * 4, TimestepInput.Write(TrtDataType.Int32, 2, 3, buffer));
        // Read as the engine reads it: three int32 2s, not 2, 0, 2 (an int64 2 seen as int32 pairs).
        Assert.Equal([2, 2, 2, 0], MemoryMarshal.Cast<byte, int>(buffer)[..4].ToArray());
    }

    [Fact]
    public void Other_types_and_short_buffers_are_refused()
    {
        Assert.Throws<InvalidDataException>(() => TimestepInput.Write(TrtDataType.Float, 1, 1, new byte[8]));
        Assert.Throws<ArgumentException>(() => TimestepInput.Write(TrtDataType.Int64, 1, 2, new byte[8]));
        Assert.Throws<OverflowException>(() => TimestepInput.Write(TrtDataType.Int32, long.MaxValue, 1, new byte[8]));
    }
}
