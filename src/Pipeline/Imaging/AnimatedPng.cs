using System.Buffers.Binary;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// Finds an APNG's frame count. libvips reads only an APNG's default image and sets no n-pages for it, so
/// the acTL chunk (which must come before the first IDAT) is looked for directly in the chunk list.
/// </summary>
internal static class AnimatedPng
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The number of animation frames an acTL chunk announces, or 0 for a still PNG (or anything else).</summary>
    public static uint Frames(Stream png)
    {
        Span<byte> header = stackalloc byte[8];
        if (png.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8 || !header.SequenceEqual(Signature)) return 0;
        while (png.ReadAtLeast(header, 8, throwOnEndOfStream: false) == 8)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
            ReadOnlySpan<byte> type = header[4..];
            if (type.SequenceEqual("IDAT"u8) || type.SequenceEqual("IEND"u8)) return 0;
            if (type.SequenceEqual("acTL"u8))
                return png.ReadAtLeast(header, 4, throwOnEndOfStream: false) >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(header) : 0;
            if (length > int.MaxValue || !png.CanSeek) return 0;
            png.Seek(length + 4L, SeekOrigin.Current); // data and CRC
        }
        return 0;
    }

    public static uint Frames(ReadOnlySpan<byte> png)
    {
        unsafe
        {
            fixed (byte* p = png)
            {
                using var s = new UnmanagedMemoryStream(p, png.Length);
                return Frames(s);
            }
        }
    }
}
