using System.Buffers.Binary;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// Reads and resets the Orientation tag (0x0112) in IFD0 of an EXIF block, once the pixels have been rotated
/// upright, so no viewer rotates them a second time. Accepts the block with or without the "Exif\0\0" prefix
/// libvips uses. Malformed blocks are returned unchanged: the libvips savers also write orientation 1 for
/// images without an orientation field, which is what ours are.
/// </summary>
internal static class ExifOrientation
{
    private const ushort OrientationTag = 0x0112;
    private const ushort ShortType = 3;

    /// <summary>A copy of <paramref name="exif"/> with Orientation set to 1 ("top-left").</summary>
    public static byte[] ResetToTopLeft(byte[] exif)
    {
        byte[] copy = (byte[])exif.Clone();
        Span<byte> tiff = TiffPart(copy);
        int entry = FindEntry(tiff, out bool little);
        if (entry >= 0 && Read16(tiff[(entry + 2)..], little) == ShortType)
        {
            // A single SHORT sits left-aligned in the 4-byte value field.
            Span<byte> value = tiff.Slice(entry + 8, 2);
            if (little)
                BinaryPrimitives.WriteUInt16LittleEndian(value, 1);
            else
                BinaryPrimitives.WriteUInt16BigEndian(value, 1);
        }
        return copy;
    }

    /// <summary>The Orientation value in IFD0, or null when absent or unreadable.</summary>
    public static int? Read(byte[] exif)
    {
        Span<byte> tiff = TiffPart(exif);
        int entry = FindEntry(tiff, out bool little);
        return entry < 0 ? null : Read16(tiff[(entry + 8)..], little);
    }

    private static Span<byte> TiffPart(byte[] exif) =>
        exif.AsSpan().StartsWith("Exif\0\0"u8) ? exif.AsSpan(6) : exif.AsSpan();

    /// <summary>Offset of the Orientation entry in IFD0, or -1.</summary>
    private static int FindEntry(ReadOnlySpan<byte> tiff, out bool little)
    {
        little = tiff.StartsWith("II"u8);
        if (tiff.Length < 8 || !(little || tiff.StartsWith("MM"u8)))
            return -1;
        long ifd = little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[4..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[4..]);
        if (ifd + 2 > tiff.Length)
            return -1;
        int count = Read16(tiff[(int)ifd..], little);
        for (int i = 0; i < count; i++)
        {
            long entry = ifd + 2 + 12L * i;
            if (entry + 12 > tiff.Length)
                break;
            if (Read16(tiff[(int)entry..], little) == OrientationTag)
                return (int)entry;
        }
        return -1;
    }

    private static ushort Read16(ReadOnlySpan<byte> b, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);
}
