namespace ResShift.Pipeline.Resampling;

/// <summary>
/// Bottom/right padding with PyTorch's "reflect" rule (mirror without repeating the edge pixel).
/// Where the pad is as large as the image or larger (PyTorch refuses), the reflection continues
/// periodically with period 2(n-1), and a 1-pixel side is replicated: tiny images are padded, not refused.
/// </summary>
public static class ReflectPad
{
    /// <summary>Source index for padded index <paramref name="i"/> (0 ≤ i) of an axis of length <paramref name="n"/>.</summary>
    public static int SourceIndex(int i, int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        if (i < n && i >= 0) return i;
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        int m = i % period;
        if (m < 0) m += period;
        return m < n ? m : period - m;
    }

    /// <summary>
    /// Copies a C×h×w planar image into the top-left of a C×H×W buffer and reflect-fills the rest.
    /// </summary>
    public static void PadBottomRight(ReadOnlySpan<float> source, int channels, int height, int width,
        Span<float> destination, int paddedHeight, int paddedWidth)
    {
        if (paddedHeight < height || paddedWidth < width)
            throw new ArgumentException($"padded size {paddedHeight}×{paddedWidth} is smaller than {height}×{width}");
        if (source.Length < channels * height * width || destination.Length < channels * paddedHeight * paddedWidth)
            throw new ArgumentException("buffer too small for the given dimensions");

        Span<int> colMap = paddedWidth <= 4096 ? stackalloc int[paddedWidth] : new int[paddedWidth];
        for (int x = 0; x < paddedWidth; x++) colMap[x] = SourceIndex(x, width);
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = source.Slice(c * height * width, height * width);
            Span<float> outPlane = destination.Slice(c * paddedHeight * paddedWidth, paddedHeight * paddedWidth);
            for (int y = 0; y < paddedHeight; y++)
            {
                ReadOnlySpan<float> srcRow = plane.Slice(SourceIndex(y, height) * width, width);
                Span<float> dstRow = outPlane.Slice(y * paddedWidth, paddedWidth);
                srcRow.CopyTo(dstRow);
                for (int x = width; x < paddedWidth; x++) dstRow[x] = srcRow[colMap[x]];
            }
        }
    }
}
