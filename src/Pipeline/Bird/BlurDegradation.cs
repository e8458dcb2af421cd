using System.Numerics.Tensors;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// Blind deblurring's H: per-channel "same" cross-correlation with a K×K kernel (K odd, zero padding), as
/// PyTorch's conv2d does it. The kernel changes every iteration (it comes from the kernel network), so it is
/// a buffer the job rewrites. Row-by-row: every (kernel row, kernel column) pair is one shifted
/// multiply-add of an image row segment, vectorised.
/// </summary>
public sealed class BlurDegradation : IDegradation
{
    private readonly int _channels, _height, _width;

    public BlurDegradation(int channels, int height, int width, int kernelSize)
    {
        if (kernelSize % 2 == 0) throw new ArgumentException($"kernel size {kernelSize} must be odd");
        (_channels, _height, _width, KernelSize) = (channels, height, width, kernelSize);
        Kernel = new float[kernelSize * kernelSize];
    }

    public int KernelSize { get; }

    /// <summary>Row-major K×K kernel; callers write it before <see cref="Apply"/>.</summary>
    public float[] Kernel { get; }

    public int OutputLength => _channels * _height * _width;

    public void Apply(ReadOnlySpan<float> image, Span<float> output)
    {
        output[..OutputLength].Clear();
        int k = KernelSize, r = k / 2;
        for (int c = 0; c < _channels; c++)
        for (int i = 0; i < _height; i++)
        {
            Span<float> o = output.Slice((c * _height + i) * _width, _width);
            for (int u = 0; u < k; u++)
            {
                int ii = i + u - r;
                if ((uint)ii >= (uint)_height) continue;
                ReadOnlySpan<float> x = image.Slice((c * _height + ii) * _width, _width);
                for (int v = 0; v < k; v++)
                    ShiftedMultiplyAdd(x, v - r, Kernel[u * k + v], o);
            }
        }
    }

    public void AddAdjoint(ReadOnlySpan<float> residual, Span<float> image)
    {
        int k = KernelSize, r = k / 2;
        for (int c = 0; c < _channels; c++)
        for (int i = 0; i < _height; i++)
        {
            ReadOnlySpan<float> res = residual.Slice((c * _height + i) * _width, _width);
            for (int u = 0; u < k; u++)
            {
                int ii = i + u - r;
                if ((uint)ii >= (uint)_height) continue;
                Span<float> g = image.Slice((c * _height + ii) * _width, _width);
                // out[i, j] used x[ii, j + s]: x[ii, m] receives k·res[i, m − s].
                for (int v = 0; v < k; v++)
                    ShiftedMultiplyAdd(res, -(v - r), Kernel[u * k + v], g);
            }
        }
    }

    /// <summary>∂L/∂k[u,v] = Σ_{c,i,j} residual[c,i,j]·x[c, i+u−r, j+v−r] (overwrites <paramref name="kernelGradient"/>).</summary>
    public void KernelGradient(ReadOnlySpan<float> residual, ReadOnlySpan<float> image, Span<float> kernelGradient)
    {
        int k = KernelSize, r = k / 2;
        kernelGradient[..(k * k)].Clear();
        for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++)
        {
            int s = v - r;
            int j0 = Math.Max(0, -s), j1 = Math.Min(_width, _width - s);
            if (j1 <= j0) continue;
            double sum = 0;
            for (int c = 0; c < _channels; c++)
            for (int i = 0; i < _height; i++)
            {
                int ii = i + u - r;
                if ((uint)ii >= (uint)_height) continue;
                ReadOnlySpan<float> res = residual.Slice((c * _height + i) * _width + j0, j1 - j0);
                ReadOnlySpan<float> x = image.Slice((c * _height + ii) * _width + j0 + s, j1 - j0);
                sum += TensorPrimitives.Dot(res, x);
            }
            kernelGradient[u * k + v] = (float)sum;
        }
    }

    /// <summary>o[j] += w·x[j + s] wherever j + s is inside the row.</summary>
    private static void ShiftedMultiplyAdd(ReadOnlySpan<float> x, int s, float w, Span<float> o)
    {
        int n = o.Length;
        int j0 = Math.Max(0, -s), j1 = Math.Min(n, n - s);
        if (j1 <= j0) return;
        Span<float> dst = o[j0..j1];
        TensorPrimitives.MultiplyAdd(x.Slice(j0 + s, j1 - j0), w, dst, dst);
    }
}
