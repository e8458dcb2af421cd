namespace ResShift.Pipeline.Imaging;

/// <summary>An image could not be encoded or written. The message starts with the destination.</summary>
public sealed class ImageEncodeException : Exception
{
    public ImageEncodeException(string destination, string reason, Exception? inner = null)
        : base($"{destination}: {reason}", inner)
    {
        Destination = destination;
    }

    public string Destination { get; }
}
