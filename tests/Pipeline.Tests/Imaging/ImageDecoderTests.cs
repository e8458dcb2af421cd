using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

public sealed class ImageDecoderTests
{
    private readonly ImageDecoder _decoder = new();

    [Fact]
    public void Png16_keeps_every_16_bit_value()
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path("rgb16-gradient.png"));

        Assert.Equal((64, 48), (image.Width, image.Height));
        Assert.Equal(new ImageMetadata(ChannelLayout.Rgb, 16, ImageFormat.Png), image.Metadata);
        AssertRgb16(image.Pixels);
    }

    [Fact]
    public void Tiff16_keeps_every_16_bit_value()
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path("rgb16-gradient.tif"));

        Assert.Equal((ChannelLayout.Rgb, 16, ImageFormat.Tiff), (image.Layout, image.BitDepth, image.Metadata.SourceFormat));
        AssertRgb16(image.Pixels);
    }

    [Fact]
    public void Gray_is_expanded_to_three_equal_planes_and_remembered_as_gray()
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path("gray8.png"));

        Assert.Equal((ChannelLayout.Gray, 8, false), (image.Layout, image.BitDepth, image.Pixels.HasAlpha));
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal(Fixtures.Gray8(x, y), Fixtures.At(image.Pixels, c, x, y, 8));
    }

    [Fact]
    public void Gray_alpha_16_bit_gets_an_alpha_plane()
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path("graya16.png"));

        Assert.Equal((ChannelLayout.GrayAlpha, 16, true), (image.Layout, image.BitDepth, image.Pixels.HasAlpha));
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                (int gray, int alpha) = Fixtures.GrayA16(x, y);
                Assert.Equal(gray, Fixtures.At(image.Pixels, 1, x, y, 16));
                Assert.Equal(alpha, Fixtures.At(image.Pixels, 3, x, y, 16));
            }
    }

    [Fact]
    public void Rgba_keeps_straight_alpha_and_colour_under_it()
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path("rgba8.png"));

        Assert.Equal((ChannelLayout.Rgba, 8), (image.Layout, image.BitDepth));
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                (int r, int g, int b, int a) = Fixtures.Rgba8(x, y);
                Assert.Equal((r, g, b, a), (Fixtures.At(image.Pixels, 0, x, y, 8), Fixtures.At(image.Pixels, 1, x, y, 8),
                    Fixtures.At(image.Pixels, 2, x, y, 8), Fixtures.At(image.Pixels, 3, x, y, 8)));
            }
    }

    [Fact]
    public void Exif_orientation_6_is_applied_and_reset_in_the_carried_exif()
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path("orient6-icc.jpg"));

        // Stored 96×80 with a red block at the stored top-left; rotated 90° clockwise it is 80×96, block top-right.
        Assert.Equal((80, 96), (image.Width, image.Height));
        AssertRed(image.Pixels, 72, 4);
        AssertNotRed(image.Pixels, 4, 4);
        Assert.NotNull(image.Metadata.Exif);
        Assert.Equal(1, ExifOrientation.Read(image.Metadata.Exif!));
    }

    [Fact]
    public void Icc_profile_is_carried()
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path("orient6-icc.jpg"));

        // Read from the file's APP2 segments by the test itself, not through libvips.
        byte[] expected = IccProfiles.FromJpeg(Fixtures.Path("orient6-icc.jpg"))!;
        Assert.Equal((expected.Length, "acsp", "RGB "), IccProfiles.Header(expected));
        Assert.Equal(expected, image.Metadata.IccProfile);
    }

    [Theory]
    [InlineData("photo-garden.jpg", ImageFormat.Jpeg)]
    [InlineData("photo-ladybird.jpg", ImageFormat.Jpeg)]
    [InlineData("photo-aqua.png", ImageFormat.Png)]
    public void Photos_decode_as_8_bit_rgb(string name, ImageFormat format)
    {
        using DecodedImage image = _decoder.Decode(Fixtures.Path(name));

        Assert.Equal((96, 80, ChannelLayout.Rgb, 8, format), (image.Width, image.Height, image.Layout, image.BitDepth, image.Metadata.SourceFormat));
        foreach (float v in image.Pixels.Rgb)
            Assert.InRange(v, 0f, 1f);
    }

    [Fact]
    public void Tiny_images_decode()
    {
        using DecodedImage one = _decoder.Decode(Fixtures.Path("tiny-1x1.png"));
        using DecodedImage six = _decoder.Decode(Fixtures.Path("tiny-2x3.png"));

        Assert.Equal((1, 1), (one.Width, one.Height));
        Assert.Equal((10, 20, 30), (Fixtures.At(one.Pixels, 0, 0, 0, 8), Fixtures.At(one.Pixels, 1, 0, 0, 8), Fixtures.At(one.Pixels, 2, 0, 0, 8)));
        Assert.Equal((2, 3), (six.Width, six.Height));
        Assert.Equal((100, 100, 7), (Fixtures.At(six.Pixels, 0, 1, 2, 8), Fixtures.At(six.Pixels, 1, 1, 2, 8), Fixtures.At(six.Pixels, 2, 1, 2, 8)));
    }

    [Fact]
    public void Buffer_and_file_decode_alike()
    {
        string path = Fixtures.Path("rgb16-gradient.png");
        using DecodedImage fromFile = _decoder.Decode(path);
        using DecodedImage fromBuffer = _decoder.Decode(File.ReadAllBytes(path), "gradient");

        Assert.Equal(fromFile.Metadata, fromBuffer.Metadata);
        Assert.True(fromFile.Pixels.Rgb.SequenceEqual(fromBuffer.Pixels.Rgb));
    }

    [Fact]
    public void Small_strips_give_the_same_pixels()
    {
        using DecodedImage whole = _decoder.Decode(Fixtures.Path("orient6-icc.jpg"));
        using DecodedImage strips = new ImageDecoder(new ImageDecoderOptions { StripBytes = 1 }).Decode(Fixtures.Path("orient6-icc.jpg"));

        Assert.True(whole.Pixels.Rgb.SequenceEqual(strips.Pixels.Rgb));
    }

    [Fact]
    public void A_photo_sized_jpeg_decodes_in_many_sequential_strips_as_in_one()
    {
        // Several strips of a sequential (streaming) load: each strip must continue where the loader is, whatever
        // libvips' threads do. Made here: a 1600×1200 JPEG, about 6 MB of samples, so 4 MB strips are two and 64 KB ones 89.
        using PlanarImage source = PlanarImage.Allocate(1600, 1200, withAlpha: false);
        Random random = new(7);
        for (int c = 0; c < 3; c++)
        {
            Span<float> plane = source.Plane(c);
            for (int i = 0; i < plane.Length; i++) plane[i] = (i % 1600 + i / 1600 * (c + 1)) % 256 / 255f * 0.8f + (float)random.NextDouble() * 0.2f;
        }
        byte[] jpeg = new ImageEncoder().EncodeToArray(source, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Jpeg), ImageFormat.Jpeg);

        using DecodedImage whole = new ImageDecoder(new ImageDecoderOptions { StripBytes = int.MaxValue }).Decode(jpeg, "photo.jpg");
        foreach (int stripBytes in new[] { 4 << 20, 64 << 10 })
        {
            using DecodedImage strips = new ImageDecoder(new ImageDecoderOptions { StripBytes = stripBytes }).Decode(jpeg, "photo.jpg");
            Assert.True(whole.Pixels.Rgb.SequenceEqual(strips.Pixels.Rgb), $"strips of {stripBytes} bytes decode differently");
        }
    }

    private static void AssertRgb16(PlanarImage pixels)
    {
        for (int y = 0; y < pixels.Height; y++)
            for (int x = 0; x < pixels.Width; x++)
            {
                (int r, int g, int b) = Fixtures.Rgb16(x, y);
                Assert.Equal((r, g, b), (Fixtures.At(pixels, 0, x, y, 16), Fixtures.At(pixels, 1, x, y, 16), Fixtures.At(pixels, 2, x, y, 16)));
            }
    }

    private static void AssertRed(PlanarImage p, int x, int y)
    {
        Assert.InRange(Fixtures.At(p, 0, x, y, 8), 200, 255);
        Assert.InRange(Fixtures.At(p, 1, x, y, 8), 0, 60);
        Assert.InRange(Fixtures.At(p, 2, x, y, 8), 0, 60);
    }

    private static void AssertNotRed(PlanarImage p, int x, int y) =>
        Assert.False(Fixtures.At(p, 0, x, y, 8) > 200 && Fixtures.At(p, 1, x, y, 8) < 60 && Fixtures.At(p, 2, x, y, 8) < 60);
}
