using System.Buffers.Binary;
using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

public sealed class SampleConverterTests
{
    [Fact]
    public void Every_16_bit_value_survives_float_and_back()
    {
        using PlanarImage image = PlanarImage.Allocate(256, 256, withAlpha: true);
        byte[] samples = new byte[256 * 256 * 2 * 2];
        ushort[] values = Enumerable.Range(0, 65536).Select(v => (ushort)v).ToArray();
        // gray + alpha: gray counts up, alpha counts down
        Span<ushort> interleaved = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(samples.AsSpan());
        for (int i = 0; i < 65536; i++)
        {
            interleaved[2 * i] = values[i];
            interleaved[2 * i + 1] = (ushort)(65535 - i);
        }

        SampleConverter.ToPlanar(samples, bands: 2, bitDepth: 16, image, firstPixel: 0);
        byte[] back = new byte[samples.Length];
        SampleConverter.ToInterleaved(image, bands: 2, bitDepth: 16, back);

        Assert.Equal(samples, back);
    }

    [Fact]
    public void Every_8_bit_value_survives_float_and_back()
    {
        using PlanarImage image = PlanarImage.Allocate(16, 16, withAlpha: true);
        byte[] samples = Enumerable.Range(0, 256 * 4).Select(i => (byte)(i * 7 + i / 4)).ToArray();

        SampleConverter.ToPlanar(samples, bands: 4, bitDepth: 8, image, firstPixel: 0);
        byte[] back = new byte[samples.Length];
        SampleConverter.ToInterleaved(image, bands: 4, bitDepth: 8, back);

        Assert.Equal(samples, back);
    }

    [Theory]
    [InlineData(0.5f / 255f, 0)]
    [InlineData(1.5f / 255f, 2)]
    [InlineData(2.5f / 255f, 2)]
    [InlineData(-1f, 0)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(1.0001f, 255)]
    public void Quantise_clamps_and_rounds_half_to_even(float value, int expected) =>
        Assert.Equal(expected, SampleConverter.Quantise(value, 255f));
}

public sealed class ExifOrientationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Orientation_is_reset_in_either_byte_order(bool little)
    {
        byte[] exif = Exif(little, orientation: 6);

        Assert.Equal(6, ExifOrientation.Read(exif));
        byte[] reset = ExifOrientation.ResetToTopLeft(exif);
        Assert.Equal(1, ExifOrientation.Read(reset));
        Assert.Equal(6, ExifOrientation.Read(exif)); // the input is not modified
    }

    [Fact]
    public void Malformed_blocks_are_returned_unchanged()
    {
        byte[] junk = "Exif\0\0MM\0*\xff\xff\xff\xff"u8.ToArray();
        Assert.Equal(junk, ExifOrientation.ResetToTopLeft(junk));
        Assert.Null(ExifOrientation.Read(junk));
        Assert.Null(ExifOrientation.Read([]));
    }

    /// <summary>"Exif\0\0" + a TIFF header + IFD0 with one entry: Orientation (SHORT, count 1).</summary>
    private static byte[] Exif(bool little, ushort orientation)
    {
        byte[] b = new byte[6 + 8 + 2 + 12 + 4];
        "Exif\0\0"u8.CopyTo(b);
        Span<byte> t = b.AsSpan(6);
        t[0] = t[1] = (byte)(little ? 'I' : 'M');
        Write16(t[2..], 42, little);
        Write32(t[4..], 8, little);                 // IFD0 offset
        Write16(t[8..], 1, little);                 // one entry
        Write16(t[10..], 0x0112, little);           // Orientation
        Write16(t[12..], 3, little);                // SHORT
        Write32(t[14..], 1, little);                // count
        Write16(t[18..], orientation, little);      // value, left-aligned
        return b;
    }

    private static void Write16(Span<byte> b, ushort v, bool little)
    {
        if (little) BinaryPrimitives.WriteUInt16LittleEndian(b, v); else BinaryPrimitives.WriteUInt16BigEndian(b, v);
    }

    private static void Write32(Span<byte> b, uint v, bool little)
    {
        if (little) BinaryPrimitives.WriteUInt32LittleEndian(b, v); else BinaryPrimitives.WriteUInt32BigEndian(b, v);
    }
}
