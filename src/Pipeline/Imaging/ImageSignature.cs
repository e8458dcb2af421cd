using Microsoft.Win32.SafeHandles;

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

    /// <summary>
    /// Reads the first 16 bytes of an open file (by offset: the handle's position is left alone) and refuses it,
    /// named <paramref name="name"/>, unless it starts like an accepted image. An empty file passes: the decoder
    /// says "empty".
    /// </summary>
    public static void Require(SafeFileHandle file, string name)
    {
        Span<byte> head = stackalloc byte[16];
        int n = RandomAccess.Read(file, head, 0);
        if (n > 0 && !IsImage(head[..n]))
            throw new ImageDecodeException(name, ImageDecodeFailure.UnknownFormat, "does not start like a PNG, JPEG, TIFF or WebP file; not read further");
    }
}
