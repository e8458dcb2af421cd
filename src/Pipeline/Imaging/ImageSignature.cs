namespace ResShift.Pipeline.Imaging;

/// <summary>The first bytes of the accepted formats: junk (or /dev/zero-like content) is refused before it is read whole.</summary>
public static class ImageSignature
{
    private static ReadOnlySpan<byte> Png => [0x89, 0x50, 0x4E, 0x47];
    private static ReadOnlySpan<byte> Jpeg => [0xFF, 0xD8, 0xFF];

    public static bool IsImage(ReadOnlySpan<byte> head) =>
        head.StartsWith(Png)
        || head.StartsWith(Jpeg)
        || head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8) || head.StartsWith("II+\0"u8) || head.StartsWith("MM\0+"u8)
        || (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8));
}
