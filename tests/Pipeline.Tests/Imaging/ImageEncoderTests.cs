using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

public sealed class ImageEncoderTests : IDisposable
{
    private readonly ImageDecoder _decoder = new();
    private readonly ImageEncoder _encoder = new();
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("rgb16-gradient.png", "out.png")]
    [InlineData("rgb16-gradient.png", "out.tif")]
    [InlineData("rgb16-gradient.tif", "out.tiff")]
    [InlineData("graya16.png", "out.png")]
    [InlineData("graya16.png", "out.tif")]
    public void Sixteen_bit_round_trips_exactly(string fixture, string output)
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path(fixture));
        using DecodedImage back = RoundTrip(source, output);

        Assert.Equal((source.Layout, 16), (back.Layout, back.BitDepth));
        AssertSameSamples(source, back, 16);
        Assert.Contains(source.Pixels.Plane(0).ToArray(), v => Fixtures.Sample(v, 16) % 257 != 0);
    }

    [Theory]
    [InlineData("photo-aqua.png", "out.png")]
    [InlineData("photo-garden.jpg", "out.png")]
    [InlineData("photo-ladybird.jpg", "out.tif")]
    [InlineData("gray8.png", "out.png")]
    [InlineData("gray8.png", "out.tif")]
    [InlineData("rgba8.png", "out.png")]
    [InlineData("rgba8.png", "out.tif")]
    [InlineData("tiny-1x1.png", "out.png")]
    [InlineData("tiny-2x3.png", "out.webp")]
    public void Eight_bit_round_trips_exactly(string fixture, string output)
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path(fixture));
        ImageEncoder encoder = new(new ImageEncoderOptions { WebpLossless = true });
        string path = _dir.File(output);
        encoder.Encode(source, path);
        using DecodedImage back = _decoder.Decode(path);

        Assert.Equal((source.Layout, 8), (back.Layout, back.BitDepth));
        AssertSameSamples(source, back, 8);
    }

    [Fact]
    public void Lossless_webp_keeps_rgba_exactly()
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("rgba8.png"));
        string path = _dir.File("out.webp");
        new ImageEncoder(new ImageEncoderOptions { WebpLossless = true }).Encode(source, path);
        using DecodedImage back = _decoder.Decode(path);

        Assert.Equal((ChannelLayout.Rgba, ImageFormat.Webp), (back.Layout, back.Metadata.SourceFormat));
        // Every sample, the colour under alpha = 0 included: libvips 8.18 saves with "exact" (8.14 had no such
        // option and libwebp rewrote colour under transparent pixels).
        Assert.Contains(source.Pixels.Alpha.ToArray(), a => a == 0f);
        AssertSameSamples(source, back, 8);
    }

    [Fact]
    public void Gray_stays_gray_unless_rgb_is_forced()
    {
        using DecodedImage gray = _decoder.Decode(Fixtures.Path("gray8.png"));
        string asGray = _dir.File("gray.png"), asRgb = _dir.File("rgb.png");
        _encoder.Encode(gray, asGray);
        new ImageEncoder(new ImageEncoderOptions { ForceRgb = true }).Encode(gray, asRgb);

        using DecodedImage g = _decoder.Decode(asGray);
        using DecodedImage c = _decoder.Decode(asRgb);
        Assert.Equal(ChannelLayout.Gray, g.Layout);
        Assert.Equal(ChannelLayout.Rgb, c.Layout);
        AssertSameSamples(gray, c, 8);
    }

    [Fact]
    public void Gray_goes_to_webp_as_rgb_without_its_gray_profile()
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("gray8.png"));
        byte[] grayIcc = IccProfiles.Gray();
        using DecodedImage withProfile = new(source.Pixels, source.Metadata with { IccProfile = grayIcc });
        string png = _dir.File("gray.png"), webp = _dir.File("gray.webp");
        _encoder.Encode(withProfile, png);
        new ImageEncoder(new ImageEncoderOptions { WebpLossless = true }).Encode(withProfile, webp);

        using DecodedImage fromPng = _decoder.Decode(png);
        using DecodedImage fromWebp = _decoder.Decode(webp);
        Assert.Equal(ChannelLayout.Gray, fromPng.Layout);
        Assert.Equal(grayIcc, fromPng.Metadata.IccProfile);
        Assert.Equal(ChannelLayout.Rgb, fromWebp.Layout);
        Assert.Null(fromWebp.Metadata.IccProfile);
        AssertSameSamples(source, fromWebp, 8);
    }

    [Fact]
    public void Tiff_keeps_icc_but_libvips_writes_no_exif_to_tiff()
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("orient6-icc.jpg"));
        using DecodedImage back = RoundTrip(source, "out.tif");

        Assert.Equal(source.Metadata.IccProfile, back.Metadata.IccProfile);
        Assert.Null(back.Metadata.Exif); // tiffsave (8.14 and 8.18 alike) writes no EXIF block into TIFF
        Assert.Equal((80, 96), (back.Width, back.Height));
    }

    [Theory]
    [InlineData("out.jpg")]
    [InlineData("out.png")]
    [InlineData("out.webp")]
    public void Icc_and_exif_survive(string output)
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("orient6-icc.jpg"));
        using DecodedImage back = RoundTrip(source, output);

        Assert.Equal(source.Metadata.IccProfile, back.Metadata.IccProfile);
        Assert.NotNull(back.Metadata.Exif);
        Assert.Equal(1, ExifOrientation.Read(back.Metadata.Exif!));
        Assert.Contains("ResShift fixture"u8.ToArray(), back.Metadata.Exif!); // the Artist tag
        Assert.Equal((80, 96), (back.Width, back.Height)); // written upright, not rotated again on reload
    }

    [Fact]
    public void Jpeg_at_high_quality_is_not_chroma_subsampled()
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("photo-garden.jpg"));
        string path = _dir.File("out.jpg");
        _encoder.Encode(source, path);

        Assert.Equal([0x11, 0x11, 0x11], JpegSamplingFactors(File.ReadAllBytes(path)));
        using DecodedImage back = _decoder.Decode(path);
        Assert.Equal((ChannelLayout.Rgb, 8, ImageFormat.Jpeg), (back.Layout, back.BitDepth, back.Metadata.SourceFormat));
    }

    [Fact]
    public void Explicit_format_and_bit_depth_override_the_defaults()
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("rgb16-gradient.png"));
        string path = _dir.File("no-extension");
        new ImageEncoder(new ImageEncoderOptions { BitDepth = 8 }).Encode(source, path, ImageFormat.Png);
        using DecodedImage back = _decoder.Decode(path);

        Assert.Equal((8, ImageFormat.Png), (back.BitDepth, back.Metadata.SourceFormat));
        Assert.Equal((int)MathF.Round(Fixtures.Rgb16(5, 7).R / 257f), Fixtures.At(back.Pixels, 0, 5, 7, 8));
    }

    [Fact]
    public void Values_are_clamped_and_rounded_half_to_even()
    {
        using PlanarImage pixels = PlanarImage.Allocate(6, 1, withAlpha: false);
        float[] values = [-0.5f, float.NaN, 2f, 0.5f / 255f, 1.5f / 255f, 2.5f / 255f];
        values.CopyTo(pixels.Plane(0));
        pixels.Plane(1).Clear();
        pixels.Plane(2).Clear();
        byte[] png = _encoder.EncodeToArray(pixels, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Png), ImageFormat.Png);
        using DecodedImage back = _decoder.Decode(png, "encoded");

        int[] red = Enumerable.Range(0, 6).Select(x => Fixtures.At(back.Pixels, 0, x, 0, 8)).ToArray();
        Assert.Equal([0, 0, 255, 0, 2, 2], red);
    }

    [Fact]
    public void Jpeg_with_alpha_is_refused_without_leaving_a_file()
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("rgba8.png"));
        string path = _dir.File("out.jpg");

        ImageEncodeException e = Assert.Throws<ImageEncodeException>(() => _encoder.Encode(source, path));
        Assert.StartsWith(path, e.Message);
        Assert.False(File.Exists(path));

        new ImageEncoder(new ImageEncoderOptions { DropAlpha = true }).Encode(source, path);
        using DecodedImage back = _decoder.Decode(path);
        Assert.Equal(ChannelLayout.Rgb, back.Layout);
    }

    [Fact]
    public void Unknown_extension_and_unwritable_path_are_clear_errors()
    {
        using DecodedImage source = _decoder.Decode(Fixtures.Path("tiny-1x1.png"));

        Assert.Contains(".bmp", Assert.Throws<ImageEncodeException>(() => _encoder.Encode(source, _dir.File("x.bmp"))).Message);
        string missingDir = _dir.File("no/such/dir/x.png");
        Assert.StartsWith(missingDir, Assert.Throws<ImageEncodeException>(() => _encoder.Encode(source, missingDir)).Message);
        Assert.Throws<ImageEncodeException>(() => new ImageEncoder(new ImageEncoderOptions { BitDepth = 16 }).Encode(source, _dir.File("x.jpg")));
    }

    private DecodedImage RoundTrip(DecodedImage source, string output)
    {
        string path = _dir.File(output);
        _encoder.Encode(source, path);
        return _decoder.Decode(path);
    }

    private static void AssertSameSamples(DecodedImage expected, DecodedImage actual, int depth)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Pixels.HasAlpha), (actual.Width, actual.Height, actual.Pixels.HasAlpha));
        for (int c = 0; c < 3; c++)
            AssertSamePlane(expected.Pixels.Plane(c), actual.Pixels.Plane(c), depth);
        AssertSamePlane(expected.Pixels.Alpha, actual.Pixels.Alpha, depth);
    }

    private static void AssertSamePlane(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int depth)
    {
        for (int i = 0; i < expected.Length; i++)
            if (Fixtures.Sample(expected[i], depth) != Fixtures.Sample(actual[i], depth))
                Assert.Fail($"sample {i}: expected {Fixtures.Sample(expected[i], depth)}, got {Fixtures.Sample(actual[i], depth)}");
    }

    /// <summary>The H/V sampling byte of each component in the first SOF marker.</summary>
    private static byte[] JpegSamplingFactors(byte[] jpeg)
    {
        for (int i = 2; i + 4 < jpeg.Length;)
        {
            if (jpeg[i] != 0xFF)
                throw new InvalidDataException("lost JPEG marker sync");
            byte marker = jpeg[i + 1];
            int length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (marker is >= 0xC0 and <= 0xC2)
            {
                int components = jpeg[i + 9];
                return Enumerable.Range(0, components).Select(k => jpeg[i + 10 + 3 * k + 1]).ToArray();
            }
            i += 2 + length;
        }
        throw new InvalidDataException("no SOF marker");
    }
}
