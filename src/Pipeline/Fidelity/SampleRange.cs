using System.Numerics.Tensors;

namespace ResShift.Pipeline.Fidelity;

/// <summary>How an image's float samples map to display values in [0, 1].</summary>
public enum SampleRange
{
    /// <summary>Model space [-1, 1]: shown as 0.5·clamp(x, −1, 1) + 0.5, exactly the pipeline's postprocess.</summary>
    Signed,

    /// <summary>Already [0, 1] (decoded files): clamped only.</summary>
    Unit,
}

/// <summary>Luminance rows from planar RGB: BT.601 luma (0.299, 0.587, 0.114), the Y channel SR papers report on.</summary>
internal static class Luma
{
    public const float R = 0.299f, G = 0.587f, B = 0.114f;
    private static readonly float[] Weights = [R, G, B];

    /// <summary>Maps samples to [0, 1] with the same operations, in the same order, as the pipeline's postprocess.</summary>
    public static void ToUnit(ReadOnlySpan<float> src, SampleRange range, Span<float> dst)
    {
        if (range == SampleRange.Signed)
        {
            TensorPrimitives.Max(src, -1f, dst);
            TensorPrimitives.Min(dst, 1f, dst);
            TensorPrimitives.Multiply(dst, 0.5f, dst);
            TensorPrimitives.Add(dst, 0.5f, dst);
        }
        else
        {
            TensorPrimitives.Max(src, 0f, dst);
            TensorPrimitives.Min(dst, 1f, dst);
        }
    }

    /// <summary>Adds the luma of <paramref name="length"/> pixels starting at <paramref name="offset"/> of each plane into <paramref name="acc"/>.</summary>
    public static void AccumulateRow(ReadOnlySpan<float> rgb, int planeSize, int offset, int length, SampleRange range, Span<float> scratch, Span<float> acc)
    {
        Span<float> s = scratch[..length];
        for (int c = 0; c < 3; c++)
        {
            ToUnit(rgb.Slice(c * planeSize + offset, length), range, s);
            TensorPrimitives.MultiplyAdd(s, Weights[c], acc, acc);
        }
    }

    /// <summary>The largest per-channel spread (max − min, in [0, 1] units) of a planar RGB image.</summary>
    public static float Spread(ReadOnlySpan<float> rgb, int planeSize, SampleRange range)
    {
        float spread = 0;
        Span<float> mm = stackalloc float[2];
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> plane = rgb.Slice(c * planeSize, planeSize);
            mm[0] = TensorPrimitives.Min(plane);
            mm[1] = TensorPrimitives.Max(plane);
            ToUnit(mm, range, mm); // monotone: the mapped extremes are the extremes of the mapped plane
            spread = Math.Max(spread, mm[1] - mm[0]);
        }
        return spread;
    }
}
