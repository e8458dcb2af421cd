namespace ResShift.Pipeline.Imaging;

/// <summary>A decoded file: upright pixels (EXIF orientation already applied) plus what to write back.</summary>
public sealed class DecodedImage : IDisposable
{
    public DecodedImage(PlanarImage pixels, ImageMetadata metadata)
    {
        Pixels = pixels;
        Metadata = metadata;
    }

    public PlanarImage Pixels { get; }
    public ImageMetadata Metadata { get; }

    public int Width => Pixels.Width;
    public int Height => Pixels.Height;
    public ChannelLayout Layout => Metadata.Layout;
    public int BitDepth => Metadata.BitDepth;

    public void Dispose() => Pixels.Dispose();
}
