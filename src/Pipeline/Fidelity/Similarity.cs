using System.Buffers;
using System.Numerics.Tensors;

namespace ResShift.Pipeline.Fidelity;

/// <summary>
/// PSNR and SSIM of two luminance planes in [0, 1] (L = 1). SSIM is Wang et al. (2004): an 11×11 Gaussian
/// window, σ = 1.5, C1 = (0.01·L)², C2 = (0.03·L)², averaged over the windows that fit inside the image (no
/// padding). Planes smaller than 11 pixels use the largest odd window that fits, with the same σ.
/// An optional weight plane (1 = known, 0 = unknown, e.g. an inpainting mask) restricts both figures to known
/// pixels (SSIM: windows whose centre is known).
/// </summary>
internal static class Similarity
{
    public const int Window = 11;
    public const double Sigma = 1.5;
    private const float C1 = 0.01f * 0.01f, C2 = 0.03f * 0.03f;

    public static double Psnr(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width, int height, ReadOnlySpan<float> known, double maxDb)
    {
        float[] row = ArrayPool<float>.Shared.Rent(width);
        try
        {
            Span<float> d = row.AsSpan(0, width);
            double sum = 0, count = 0;
            for (int y = 0; y < height; y++)
            {
                TensorPrimitives.Subtract(a.Slice(y * width, width), b.Slice(y * width, width), d);
                if (!known.IsEmpty)
                {
                    TensorPrimitives.Multiply(d, known.Slice(y * width, width), d);
                    count += TensorPrimitives.Sum(known.Slice(y * width, width));
                }
                else count += width;
                sum += TensorPrimitives.SumOfSquares(d);
            }
            double mse = sum / count;
            return mse <= Math.Pow(10, -maxDb / 10) ? maxDb : 10 * Math.Log10(1 / mse);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(row);
        }
    }

    /// <summary>The window side SSIM uses for a plane of this size.</summary>
    public static int WindowFor(int width, int height)
    {
        int k = Math.Min(Window, Math.Min(width, height));
        return k % 2 == 1 ? k : k - 1;
    }

    /// <summary>
    /// Streams the plane once: each row is filtered horizontally for x, y, x², y², xy into a ring of k rows,
    /// and each window row is then the weighted sum of the ring, so memory is O(k·width), not O(width·height).
    /// </summary>
    public static double Ssim(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width, int height, ReadOnlySpan<float> known)
    {
        int k = WindowFor(width, height), wv = width - k + 1, half = k / 2;
        Span<float> g = stackalloc float[k];
        double total = 0;
        for (int i = 0; i < k; i++) total += g[i] = (float)Math.Exp(-((i - half) * (i - half)) / (2 * Sigma * Sigma));
        TensorPrimitives.Divide(g, (float)total, g);

        // Layout: ring[5][k][wv], squares[3][width], acc[5][wv], temp[2][wv].
        int ringLen = 5 * k * wv;
        float[] block = ArrayPool<float>.Shared.Rent(ringLen + 3 * width + 7 * wv);
        try
        {
            Span<float> all = block;
            Span<float> ring = all[..ringLen];
            Span<float> xx = all.Slice(ringLen, width), yy = all.Slice(ringLen + width, width), xy = all.Slice(ringLen + 2 * width, width);
            int accAt = ringLen + 3 * width;
            Span<float> mx = all.Slice(accAt, wv), my = all.Slice(accAt + wv, wv), exx = all.Slice(accAt + 2 * wv, wv),
                eyy = all.Slice(accAt + 3 * wv, wv), exy = all.Slice(accAt + 4 * wv, wv),
                t1 = all.Slice(accAt + 5 * wv, wv), t2 = all.Slice(accAt + 6 * wv, wv);

            double sum = 0, count = 0;
            for (int r = 0; r < height; r++)
            {
                ReadOnlySpan<float> x = a.Slice(r * width, width), y = b.Slice(r * width, width);
                TensorPrimitives.Multiply(x, x, xx);
                TensorPrimitives.Multiply(y, y, yy);
                TensorPrimitives.Multiply(x, y, xy);
                int slot = r % k;
                Horizontal(x, g, Ring(ring, 0, slot, k, wv));
                Horizontal(y, g, Ring(ring, 1, slot, k, wv));
                Horizontal(xx, g, Ring(ring, 2, slot, k, wv));
                Horizontal(yy, g, Ring(ring, 3, slot, k, wv));
                Horizontal(xy, g, Ring(ring, 4, slot, k, wv));
                if (r < k - 1) continue;

                int top = r - k + 1;
                Vertical(ring, 0, top, g, wv, mx);
                Vertical(ring, 1, top, g, wv, my);
                Vertical(ring, 2, top, g, wv, exx);
                Vertical(ring, 3, top, g, wv, eyy);
                Vertical(ring, 4, top, g, wv, exy);

                TensorPrimitives.Multiply(mx, my, t1);            // μxμy
                TensorPrimitives.Subtract(exy, t1, exy);          // σxy
                TensorPrimitives.Multiply(t1, 2f, t1);
                TensorPrimitives.Add(t1, C1, t1);                 // 2μxμy + C1
                TensorPrimitives.Multiply(exy, 2f, exy);
                TensorPrimitives.Add(exy, C2, exy);               // 2σxy + C2
                TensorPrimitives.Multiply(t1, exy, t1);           // numerator
                TensorPrimitives.Multiply(mx, mx, mx);            // μx²
                TensorPrimitives.Multiply(my, my, my);            // μy²
                TensorPrimitives.Subtract(exx, mx, exx);          // σx²
                TensorPrimitives.Subtract(eyy, my, eyy);          // σy²
                TensorPrimitives.Add(mx, my, t2);
                TensorPrimitives.Add(t2, C1, t2);                 // μx² + μy² + C1
                TensorPrimitives.Add(exx, eyy, exx);
                TensorPrimitives.Add(exx, C2, exx);               // σx² + σy² + C2
                TensorPrimitives.Multiply(t2, exx, t2);           // denominator
                TensorPrimitives.Divide(t1, t2, t1);
                if (known.IsEmpty)
                {
                    sum += TensorPrimitives.Sum(t1);
                    count += wv;
                }
                else
                {
                    ReadOnlySpan<float> centre = known.Slice((top + half) * width + half, wv);
                    sum += TensorPrimitives.Dot(t1, centre);
                    count += TensorPrimitives.Sum(centre);
                }
            }
            return count > 0 ? sum / count : 1.0;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(block);
        }
    }

    private static Span<float> Ring(Span<float> ring, int quantity, int slot, int k, int wv) => ring.Slice((quantity * k + slot) * wv, wv);

    private static void Horizontal(ReadOnlySpan<float> src, ReadOnlySpan<float> g, Span<float> dst)
    {
        dst.Clear();
        for (int j = 0; j < g.Length; j++) TensorPrimitives.MultiplyAdd(src.Slice(j, dst.Length), g[j], dst, dst);
    }

    private static void Vertical(Span<float> ring, int quantity, int top, ReadOnlySpan<float> g, int wv, Span<float> dst)
    {
        int k = g.Length;
        dst.Clear();
        for (int j = 0; j < k; j++) TensorPrimitives.MultiplyAdd(Ring(ring, quantity, (top + j) % k, k, wv), g[j], dst, dst);
    }
}
