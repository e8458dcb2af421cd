using System.Buffers;
using System.Numerics.Tensors;

namespace ResShift.Pipeline.Fidelity;

/// <summary>
/// Takes an output back to its input's geometry. For ×s super-resolution: an s×s area (box) average, the
/// antialiased downscale that exactly inverts a nearest-neighbour upscale and, for photographic content, stays
/// within a fraction of a dB of an antialiased bicubic one while costing one add per output sample.
/// For scale 1 (restoration without resize): a light 3×3 binomial blur, applied to both sides, so noise the
/// model removed does not count as drift.
/// </summary>
internal static class Degradation
{
    /// <summary>Luma of <paramref name="rgb"/> (planar, <paramref name="scale"/>·w × <paramref name="scale"/>·h) averaged over s×s blocks into <paramref name="dst"/> (w × h).</summary>
    public static void AreaDownscaleLuma(ReadOnlySpan<float> rgb, int width, int height, int scale, SampleRange range, Span<float> dst)
    {
        int outW = width * scale, plane = outW * height * scale;
        float norm = 1f / (scale * scale);
        float[] rows = ArrayPool<float>.Shared.Rent(2 * outW);
        try
        {
            Span<float> acc = rows.AsSpan(0, outW), scratch = rows.AsSpan(outW, outW);
            for (int y = 0; y < height; y++)
            {
                acc.Clear();
                for (int dy = 0; dy < scale; dy++)
                    Luma.AccumulateRow(rgb, plane, (y * scale + dy) * outW, outW, range, scratch, acc);
                Span<float> d = dst.Slice(y * width, width);
                for (int x = 0, i = 0; x < width; x++)
                {
                    float s = 0;
                    for (int dx = 0; dx < scale; dx++, i++) s += acc[i];
                    d[x] = s * norm;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
        }
    }

    /// <summary>Luma of a same-size planar RGB image into <paramref name="dst"/>.</summary>
    public static void Luminance(ReadOnlySpan<float> rgb, int width, int height, SampleRange range, Span<float> dst)
    {
        float[] scratch = ArrayPool<float>.Shared.Rent(width);
        try
        {
            int plane = width * height;
            dst[..plane].Clear();
            for (int y = 0; y < height; y++)
                Luma.AccumulateRow(rgb, plane, y * width, width, range, scratch, dst.Slice(y * width, width));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>In-place separable [1 2 1]/4 blur with edge replication.</summary>
    public static void Blur3(Span<float> plane, int width, int height)
    {
        float[] tmp = ArrayPool<float>.Shared.Rent(width * height);
        try
        {
            Span<float> t = tmp.AsSpan(0, width * height);
            for (int y = 0; y < height; y++)
            {
                Span<float> src = plane.Slice(y * width, width), dst = t.Slice(y * width, width);
                for (int x = 0; x < width; x++)
                    dst[x] = 0.25f * src[Math.Max(x - 1, 0)] + 0.5f * src[x] + 0.25f * src[Math.Min(x + 1, width - 1)];
            }
            for (int y = 0; y < height; y++)
            {
                Span<float> dst = plane.Slice(y * width, width);
                ReadOnlySpan<float> up = t.Slice(Math.Max(y - 1, 0) * width, width), mid = t.Slice(y * width, width),
                    down = t.Slice(Math.Min(y + 1, height - 1) * width, width);
                TensorPrimitives.Add(up, down, dst);
                TensorPrimitives.Multiply(dst, 0.25f, dst);
                TensorPrimitives.MultiplyAdd(mid, 0.5f, dst, dst);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tmp);
        }
    }
}
