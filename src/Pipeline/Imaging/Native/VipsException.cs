namespace ResShift.Pipeline.Imaging.Native;

/// <summary>A libvips call failed; the message is libvips' own error text.</summary>
internal sealed class VipsException : Exception
{
    public VipsException(string message) : base(message) { }

    public VipsException(string message, Exception inner) : base(message, inner) { }
}
