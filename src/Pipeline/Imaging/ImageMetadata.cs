namespace ResShift.Pipeline.Imaging;

/// <summary>
/// What an image carries besides pixels, so the encoder can write the result back the way it came in.
/// </summary>
/// <param name="Layout">Channel layout of the source file (gray sources are expanded to RGB in memory).</param>
/// <param name="BitDepth">8 or 16: sample depth of the source file.</param>
/// <param name="SourceFormat">Container the pixels came from.</param>
/// <param name="IccProfile">Embedded ICC profile bytes, or null.</param>
/// <param name="Exif">EXIF block as libvips carries it ("Exif\0\0" + TIFF structure), orientation reset to 1; or null.</param>
public sealed record ImageMetadata(
    ChannelLayout Layout,
    int BitDepth,
    ImageFormat SourceFormat,
    byte[]? IccProfile = null,
    byte[]? Exif = null);
