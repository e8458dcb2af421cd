namespace ResShift.Pipeline.Processing;

/// <summary>
/// An LQ image ready for the model: planar RGB, C×H×W float32 in [-1, 1]; for an inpainting job a fourth plane
/// holds the mask in [-1, 1] (1 = unknown area, -1 = known), as the reference feeds it.
/// </summary>
public sealed class LqImage
{
    public LqImage(int width, int height, float[] pixels, int channels = 3)
    {
        if (channels is not (3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "3 (RGB) or 4 (RGB + mask) planes");
        if (pixels.Length < (long)channels * width * height)
            throw new ArgumentException($"{pixels.Length} floats cannot hold a {channels}×{height}×{width} image");
        Width = width;
        Height = height;
        Pixels = pixels;
        Channels = channels;
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Pixels { get; }

    /// <summary>Planes: 3 (RGB) or 4 (RGB + mask).</summary>
    public int Channels { get; }

    public bool HasMask => Channels == 4;

    /// <summary>The mask plane (H×W, 1 = unknown, -1 = known); empty without a mask.</summary>
    public Span<float> Mask => HasMask ? Pixels.AsSpan(3 * Width * Height, Width * Height) : [];
}
