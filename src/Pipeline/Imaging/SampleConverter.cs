using System.Numerics;
using System.Runtime.InteropServices;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// Converts between interleaved integer samples (what libvips reads and writes) and planar float32 [0, 1].
/// Works on strips, so callers never hold a second full-size copy.
/// </summary>
internal static class SampleConverter
{
    // BT.709 luma: how RGB results are folded back into one channel for gray outputs. Equal R, G, B (an
    // expanded gray source) come back unchanged after rounding.
    private const float LumaR = 0.2126f, LumaG = 0.7152f, LumaB = 0.0722f;

    /// <summary>Spreads interleaved samples (1–4 bands, 8- or 16-bit, native byte order) into
    /// <paramref name="target"/> starting at pixel <paramref name="firstPixel"/>. Gray is copied into all
    /// three colour planes; a second or fourth band goes to the alpha plane.</summary>
    public static void ToPlanar(ReadOnlySpan<byte> samples, int bands, int bitDepth, PlanarImage target, int firstPixel)
    {
        if (bitDepth == 16)
            ToPlanar(MemoryMarshal.Cast<byte, ushort>(samples), bands, 1f / 65535f, target, firstPixel);
        else
            ToPlanar(samples, bands, 1f / 255f, target, firstPixel);
    }

    private static void ToPlanar<T>(ReadOnlySpan<T> samples, int bands, float scale, PlanarImage target, int firstPixel)
        where T : unmanaged, IBinaryInteger<T>
    {
        int pixels = samples.Length / bands;
        Span<float> r = target.Plane(0).Slice(firstPixel, pixels);
        Span<float> g = target.Plane(1).Slice(firstPixel, pixels);
        Span<float> b = target.Plane(2).Slice(firstPixel, pixels);
        Span<float> a = bands is 2 or 4 ? target.Alpha.Slice(firstPixel, pixels) : Span<float>.Empty;
        switch (bands)
        {
            case 1:
            case 2:
                for (int i = 0, s = 0; i < pixels; i++, s += bands)
                {
                    float v = Value(samples[s]) * scale;
                    r[i] = v;
                    g[i] = v;
                    b[i] = v;
                    if (bands == 2)
                        a[i] = Value(samples[s + 1]) * scale;
                }
                break;
            default:
                for (int i = 0, s = 0; i < pixels; i++, s += bands)
                {
                    r[i] = Value(samples[s]) * scale;
                    g[i] = Value(samples[s + 1]) * scale;
                    b[i] = Value(samples[s + 2]) * scale;
                    if (bands == 4)
                        a[i] = Value(samples[s + 3]) * scale;
                }
                break;
        }
    }

    /// <summary>Quantises <paramref name="source"/> into interleaved samples: 1 band = luma, 2 = luma + alpha,
    /// 3 = RGB, 4 = RGBA; 8-bit (byte) or 16-bit (ushort, native order) per <paramref name="bitDepth"/>.</summary>
    public static void ToInterleaved(PlanarImage source, int bands, int bitDepth, Span<byte> samples)
    {
        if (bitDepth == 16)
            ToInterleaved(source, bands, MemoryMarshal.Cast<byte, ushort>(samples), 65535f);
        else
            ToInterleaved(source, bands, samples, 255f);
    }

    private static void ToInterleaved<T>(PlanarImage source, int bands, Span<T> samples, float max)
        where T : unmanaged, IBinaryInteger<T>
    {
        ReadOnlySpan<float> r = source.Plane(0), g = source.Plane(1), b = source.Plane(2), a = source.Alpha;
        int pixels = source.PixelCount;
        bool gray = bands <= 2;
        bool alpha = bands is 2 or 4;
        if (alpha && a.IsEmpty)
            throw new ArgumentException("an alpha band was requested but the image has no alpha plane", nameof(bands));
        for (int i = 0, s = 0; i < pixels; i++, s += bands)
        {
            if (gray)
            {
                samples[s] = Sample<T>(LumaR * r[i] + LumaG * g[i] + LumaB * b[i], max);
            }
            else
            {
                samples[s] = Sample<T>(r[i], max);
                samples[s + 1] = Sample<T>(g[i], max);
                samples[s + 2] = Sample<T>(b[i], max);
            }
            if (alpha)
                samples[s + bands - 1] = Sample<T>(a[i], max);
        }
    }

    /// <summary>Clamps to [0, 1] (NaN → 0), scales, rounds half to even.</summary>
    public static int Quantise(float value, float max)
    {
        if (!(value > 0f))
            return 0;
        if (value >= 1f)
            return (int)max;
        return (int)MathF.Round(value * max, MidpointRounding.ToEven);
    }

    private static T Sample<T>(float value, float max) where T : unmanaged, IBinaryInteger<T> =>
        T.CreateTruncating(Quantise(value, max));

    private static float Value<T>(T sample) where T : unmanaged, IBinaryInteger<T> => float.CreateTruncating(sample);
}
