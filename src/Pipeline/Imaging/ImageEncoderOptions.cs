namespace ResShift.Pipeline.Imaging;

public enum TiffCompression
{
    Deflate,
    Lzw,
    None,
}

public sealed record ImageEncoderOptions
{
    /// <summary>Output sample depth for PNG/TIFF: null keeps the source's depth (16 stays 16). JPEG and WebP
    /// are always 8-bit.</summary>
    public int? BitDepth { get; init; }

    /// <summary>Write RGB even when the source was gray.</summary>
    public bool ForceRgb { get; init; }

    /// <summary>Drop an alpha plane instead of writing it (required for JPEG when the image has alpha).</summary>
    public bool DropAlpha { get; init; }

    /// <summary>JPEG quality 1–100. At 90 and above chroma is not subsampled (4:4:4).</summary>
    public int JpegQuality { get; init; } = 95;

    /// <summary>WebP lossy quality 1–100.</summary>
    public int WebpQuality { get; init; } = 95;

    public bool WebpLossless { get; init; }

    public TiffCompression TiffCompression { get; init; } = TiffCompression.Deflate;

    /// <summary>zlib level 0–9 for PNG.</summary>
    public int PngCompression { get; init; } = 6;

    /// <summary>Attach the ICC profile and EXIF block from the metadata.</summary>
    public bool KeepMetadata { get; init; } = true;
}
