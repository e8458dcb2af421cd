namespace ResShift.Pipeline.Processing;

/// <summary>
/// The model's output for a whole image: planar RGB C×H×W float32, already clamped and mapped to [0, 1]
/// (out = 0.5·clamp(img, −1, 1) + 0.5, resshift.md §3 step 6).
/// </summary>
public sealed class RestoredImage(int width, int height, float[] pixels)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    public float[] Pixels { get; } = pixels;
}
