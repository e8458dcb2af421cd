namespace ResShift.Pipeline.Imaging;

/// <summary>Why an input could not be decoded; every one of these is permanent for that input.</summary>
public enum ImageDecodeFailure
{
    NotFound,
    IsDirectory,
    Empty,
    Unreadable,
    UnknownFormat,
    UnsupportedFormat,
    UnsupportedPixels,
    TooLarge,
    Corrupt,
    /// <summary>Several pages or frames (multi-page TIFF, animated PNG or WebP): only single images are restored.</summary>
    MultiFrame,
    /// <summary>The model's task wants another size (face restoration: exactly 512×512).</summary>
    WrongSize,
    /// <summary>An inpainting mask is missing, of another size, not binary, or given to a model that takes none.</summary>
    Mask,
}

/// <summary>An input is not a decodable image. The message starts with the file (or buffer) name.</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(string sourceName, ImageDecodeFailure failure, string reason, Exception? inner = null)
        : base($"{sourceName}: {reason}", inner)
    {
        SourceName = sourceName;
        Failure = failure;
    }

    public string SourceName { get; }
    public ImageDecodeFailure Failure { get; }
}
