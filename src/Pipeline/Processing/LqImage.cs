namespace ResShift.Pipeline.Processing;

/// <summary>An LQ image ready for the model: planar RGB, C×H×W float32 in [-1, 1].</summary>
public sealed class LqImage(int width, int height, float[] pixels)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    public float[] Pixels { get; } = pixels.Length >= 3L * width * height ? pixels
        : throw new ArgumentException($"{pixels.Length} floats cannot hold a 3×{height}×{width} image");
}
