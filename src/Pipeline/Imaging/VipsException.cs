namespace ResShift.Pipeline.Imaging;

/// <summary>libvips itself failed (missing library, failed init, an operation error outside decode/encode);
/// the message carries libvips' own error text. Bad inputs are <see cref="ImageDecodeException"/> instead.</summary>
public sealed class VipsException : Exception
{
    public VipsException(string message) : base(message) { }

    public VipsException(string message, Exception inner) : base(message, inner) { }
}
