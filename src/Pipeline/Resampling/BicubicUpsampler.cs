using System.Numerics.Tensors;

namespace ResShift.Pipeline.Resampling;

/// <summary>
/// Integer-factor bicubic upsampling with the semantics of torch.nn.functional.interpolate(mode="bicubic",
/// align_corners=False): half-pixel centres, Keys kernel a = -0.75, border taps clamped, no antialias,
/// result not clamped. With an integer factor the tap weights repeat every <c>Scale</c> output pixels, so
/// they are computed once; the filter runs separably (rows, then columns) with SIMD row accumulation.
/// </summary>
public sealed class BicubicUpsampler
{
    private const float A = -0.75f;
    private readonly float[] _weights; // [phase, tap]

    public int Scale { get; }

    public BicubicUpsampler(int scale)
    {
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be >= 1");
        Scale = scale;
        _weights = new float[scale * 4];
        float inv = 1f / scale;
        for (int phase = 0; phase < scale; phase++)
        {
            float src = (phase + 0.5f) * inv - 0.5f; // same float arithmetic as PyTorch's source index
            float t = src - MathF.Floor(src);
            _weights[phase * 4 + 0] = Outer(t + 1f);
            _weights[phase * 4 + 1] = Inner(t);
            _weights[phase * 4 + 2] = Inner(1f - t);
            _weights[phase * 4 + 3] = Outer(2f - t);
        }
    }

    /// <summary>Upsamples a C×h×w planar image to C×(h·s)×(w·s).</summary>
    public void Upsample(ReadOnlySpan<float> source, int channels, int height, int width, Span<float> destination)
    {
        int s = Scale;
        int outH = height * s, outW = width * s;
        if (source.Length < channels * height * width) throw new ArgumentException("source too small", nameof(source));
        if (destination.Length < channels * outH * outW) throw new ArgumentException("destination too small", nameof(destination));
        if (s == 1)
        {
            // Scale-1 tasks (inpainting, face restoration): the reference encodes the LQ itself, no interpolation.
            source[..(channels * height * width)].CopyTo(destination);
            return;
        }

        // Rows of the source upsampled horizontally, for one channel at a time (h × outW).
        float[] rowBuffer = System.Buffers.ArrayPool<float>.Shared.Rent(height * outW);
        try
        {
            Span<float> wide = rowBuffer.AsSpan(0, height * outW);
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> plane = source.Slice(c * height * width, height * width);
                for (int y = 0; y < height; y++)
                    HorizontalPass(plane.Slice(y * width, width), wide.Slice(y * outW, outW));

                Span<float> outPlane = destination.Slice(c * outH * outW, outH * outW);
                for (int oy = 0; oy < outH; oy++)
                {
                    int phase = oy % s;
                    int baseRow = Floor(oy, s);
                    Span<float> dst = outPlane.Slice(oy * outW, outW);
                    ReadOnlySpan<float> w = _weights.AsSpan(phase * 4, 4);
                    TensorPrimitives.Multiply(wide.Slice(Clamp(baseRow - 1, height) * outW, outW), w[0], dst);
                    TensorPrimitives.MultiplyAdd(wide.Slice(Clamp(baseRow, height) * outW, outW), w[1], dst, dst);
                    TensorPrimitives.MultiplyAdd(wide.Slice(Clamp(baseRow + 1, height) * outW, outW), w[2], dst, dst);
                    TensorPrimitives.MultiplyAdd(wide.Slice(Clamp(baseRow + 2, height) * outW, outW), w[3], dst, dst);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rowBuffer);
        }
    }

    private void HorizontalPass(ReadOnlySpan<float> row, Span<float> output)
    {
        int s = Scale, n = row.Length;
        for (int ox = 0; ox < output.Length; ox++)
        {
            int phase = ox % s;
            int b = Floor(ox, s);
            int w = phase * 4;
            output[ox] = row[Clamp(b - 1, n)] * _weights[w]
                       + row[Clamp(b, n)] * _weights[w + 1]
                       + row[Clamp(b + 1, n)] * _weights[w + 2]
                       + row[Clamp(b + 2, n)] * _weights[w + 3];
        }
    }

    /// <summary>floor((o + 0.5)/s - 0.5) computed exactly in integers.</summary>
    private static int Floor(int o, int s)
    {
        int num = 2 * o + 1 - s; // (o + 0.5 - s/2) * 2
        int den = 2 * s;
        return num >= 0 ? num / den : -((-num + den - 1) / den);
    }

    private static int Clamp(int i, int n) => i < 0 ? 0 : i >= n ? n - 1 : i;

    private static float Inner(float x) => ((A + 2f) * x - (A + 3f)) * x * x + 1f;

    private static float Outer(float x) => ((A * x - 5f * A) * x + 8f * A) * x - 4f * A;
}
