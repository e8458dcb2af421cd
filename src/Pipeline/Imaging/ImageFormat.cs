namespace ResShift.Pipeline.Imaging;

/// <summary>The container formats the pipeline reads and writes.</summary>
public enum ImageFormat
{
    Png,
    Jpeg,
    Tiff,
    Webp,
}

public static class ImageFormats
{
    /// <summary>The format a path's extension names, or null for an unknown extension.</summary>
    public static ImageFormat? FromPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => ImageFormat.Png,
        ".jpg" or ".jpeg" or ".jpe" => ImageFormat.Jpeg,
        ".tif" or ".tiff" => ImageFormat.Tiff,
        ".webp" => ImageFormat.Webp,
        _ => null,
    };

    /// <summary>The format a libvips source loader ("pngload_source", ...) reads; null when the loader is one the
    /// pipeline does not accept (GIF, PDF, HEIF, ...). Inputs reach libvips only as sources.</summary>
    internal static ImageFormat? FromLoader(string nickname) => nickname switch
    {
        "pngload_source" => ImageFormat.Png,
        "jpegload_source" => ImageFormat.Jpeg,
        "tiffload_source" => ImageFormat.Tiff,
        "webpload_source" => ImageFormat.Webp,
        _ => null,
    };

    /// <summary>PNG and TIFF keep 16-bit samples; JPEG and WebP are 8-bit only.</summary>
    public static bool Supports16Bit(this ImageFormat format) => format is ImageFormat.Png or ImageFormat.Tiff;

    public static bool SupportsGray(this ImageFormat format) => format is not ImageFormat.Webp;

    public static bool SupportsAlpha(this ImageFormat format) => format is not ImageFormat.Jpeg;
}
