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

    /// <summary>The format a libvips loader nickname ("pngload", "jpegload_buffer", ...) reads; null when the
    /// loader is one the pipeline does not accept (GIF, PDF, HEIF, ...).</summary>
    internal static ImageFormat? FromLoader(string nickname) => nickname switch
    {
        "pngload" or "pngload_buffer" or "pngload_source" => ImageFormat.Png,
        "jpegload" or "jpegload_buffer" or "jpegload_source" => ImageFormat.Jpeg,
        "tiffload" or "tiffload_buffer" or "tiffload_source" => ImageFormat.Tiff,
        "webpload" or "webpload_buffer" or "webpload_source" => ImageFormat.Webp,
        _ => null,
    };

    /// <summary>PNG and TIFF keep 16-bit samples; JPEG and WebP are 8-bit only.</summary>
    public static bool Supports16Bit(this ImageFormat format) => format is ImageFormat.Png or ImageFormat.Tiff;

    public static bool SupportsGray(this ImageFormat format) => format is not ImageFormat.Webp;

    public static bool SupportsAlpha(this ImageFormat format) => format is not ImageFormat.Jpeg;
}
