namespace ResShift.Pipeline.Imaging;

/// <summary>How strictly libvips treats damaged data (its fail_on option).</summary>
public enum DecodeStrictness
{
    /// <summary>Fail only on truncated data.</summary>
    Truncated,
    /// <summary>Fail on truncation and decoder errors (corrupt data). Default.</summary>
    Error,
    /// <summary>Fail on anything the decoder warns about, e.g. extraneous bytes in a JPEG.</summary>
    Warning,
}

public sealed record ImageDecoderOptions
{
    /// <summary>Largest accepted width × height; checked from the header before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Largest accepted width or height.</summary>
    public int MaxSide { get; init; } = 100_000;

    public DecodeStrictness Strictness { get; init; } = DecodeStrictness.Error;

    /// <summary>Unused: pixels now stream from libvips in the chunks it writes (kept so callers that set it still build).</summary>
    public int StripBytes { get; init; } = 4 << 20;
}
