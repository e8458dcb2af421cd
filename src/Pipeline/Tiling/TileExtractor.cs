using ResShift.Pipeline.Resampling;

namespace ResShift.Pipeline.Tiling;

/// <summary>Cuts one tile out of a planar C×H×W image and reflect-pads it to the model's square tile.</summary>
public static class TileExtractor
{
    public static void Extract(ReadOnlySpan<float> image, int channels, int imageHeight, int imageWidth,
        TileRect tile, int paddedSize, Span<float> destination)
    {
        if (tile.Y < 0 || tile.X < 0 || tile.Y + tile.Height > imageHeight || tile.X + tile.Width > imageWidth)
            throw new ArgumentOutOfRangeException(nameof(tile), tile, $"tile outside the {imageWidth}×{imageHeight} image");
        if (paddedSize < tile.Height || paddedSize < tile.Width)
            throw new ArgumentOutOfRangeException(nameof(paddedSize), paddedSize, $"tile {tile.Width}×{tile.Height} is larger than the model tile");

        int n = checked(channels * tile.Height * tile.Width);
        float[] rented = System.Buffers.ArrayPool<float>.Shared.Rent(n);
        try
        {
            Span<float> crop = rented.AsSpan(0, n);
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < tile.Height; y++)
                    image.Slice(checked((int)(((long)c * imageHeight + tile.Y + y) * imageWidth + tile.X)), tile.Width)
                         .CopyTo(crop.Slice((c * tile.Height + y) * tile.Width, tile.Width));
            ReflectPad.PadBottomRight(crop, channels, tile.Height, tile.Width, destination, paddedSize, paddedSize);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }
}
