using System.Buffers;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// Pixels as planar float32 in [0, 1]: three colour planes (R, G, B) in one pooled buffer, plus an optional
/// alpha plane (straight, not premultiplied). Dispose returns the buffers to the pool.
/// </summary>
public sealed class PlanarImage : IDisposable
{
    private float[]? _rgb;
    private float[]? _alpha;

    private PlanarImage(int width, int height, bool withAlpha)
    {
        Width = width;
        Height = height;
        int planes = checked(width * height * 3); // throws for images one managed array cannot hold
        _rgb = ArrayPool<float>.Shared.Rent(planes);
        _alpha = withAlpha ? ArrayPool<float>.Shared.Rent(PixelCount) : null;
    }

    public int Width { get; }
    public int Height { get; }
    public int PixelCount => Width * Height;
    public bool HasAlpha => _alpha is not null;

    /// <summary>Rents buffers for a <paramref name="width"/>×<paramref name="height"/> image. Contents are
    /// unspecified until written.</summary>
    public static PlanarImage Allocate(int width, int height, bool withAlpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        return new PlanarImage(width, height, withAlpha);
    }

    /// <summary>R, G and B planes back to back (length 3 × PixelCount).</summary>
    public Span<float> Rgb => Live(_rgb).AsSpan(0, 3 * PixelCount);

    /// <summary>One colour plane: 0 = R, 1 = G, 2 = B.</summary>
    public Span<float> Plane(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channel, 2);
        return Live(_rgb).AsSpan(channel * PixelCount, PixelCount);
    }

    /// <summary>The alpha plane, or an empty span when the image has none.</summary>
    public Span<float> Alpha => _alpha is null ? Span<float>.Empty : _alpha.AsSpan(0, PixelCount);

    public void Dispose()
    {
        if (_rgb is not null)
            ArrayPool<float>.Shared.Return(_rgb);
        if (_alpha is not null)
            ArrayPool<float>.Shared.Return(_alpha);
        _rgb = null;
        _alpha = null;
    }

    private static float[] Live(float[]? buffer) => buffer ?? throw new ObjectDisposedException(nameof(PlanarImage));
}
