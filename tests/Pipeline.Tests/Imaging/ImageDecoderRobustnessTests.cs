using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

public sealed class ImageDecoderRobustnessTests : IDisposable
{
    private readonly ImageDecoder _decoder = new();
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("photo-aqua.png")]
    [InlineData("photo-garden.jpg")]
    [InlineData("rgb16-gradient.tif")]
    [InlineData("rgba8.png")]
    [InlineData("orient6-icc.jpg")]
    public void Damaged_files_decode_or_fail_cleanly(string fixture)
    {
        byte[] original = File.ReadAllBytes(Fixtures.Path(fixture));
        Random random = new(fixture.Length);
        for (int round = 0; round < 40; round++)
        {
            byte[] damaged = (byte[])original.Clone();
            for (int k = 0; k < 1 + round % 8; k++)
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            try
            {
                using DecodedImage image = _decoder.Decode(damaged, $"{fixture}#{round}");
                Assert.True(image.Width > 0 && image.Height > 0);
            }
            catch (ImageDecodeException e)
            {
                Assert.StartsWith($"{fixture}#{round}: ", e.Message);
            }
        }
    }

    [Fact]
    public void Option_syntax_in_a_file_name_is_just_a_name()
    {
        // libvips' own file API would parse "[...]" as load options; the decoder opens the file and hands libvips its descriptor.
        string path = _dir.File("scan[fail_on=none],1.png");
        File.Copy(Fixtures.Path("gray8.png"), path);

        using DecodedImage image = _decoder.Decode(path);
        Assert.Equal(ChannelLayout.Gray, image.Layout);
    }

    [Fact]
    public void Parallel_decodes_agree()
    {
        string[] names = ["rgb16-gradient.png", "orient6-icc.jpg", "rgba8.png", "photo-garden.jpg"];
        float[][] expected = names.Select(n => { using DecodedImage i = _decoder.Decode(Fixtures.Path(n)); return i.Pixels.Rgb.ToArray(); }).ToArray();

        Parallel.For(0, 64, i =>
        {
            using DecodedImage image = _decoder.Decode(Fixtures.Path(names[i % names.Length]));
            Assert.True(image.Pixels.Rgb.SequenceEqual(expected[i % names.Length]));
        });
    }

    /// <summary>The libvips bundled in NetVips.Native is the one loaded, not a system libvips.so.42 (Debian's is 8.14).</summary>
    [Fact]
    public void The_bundled_libvips_is_loaded() => Assert.Matches(@"^8\.18\.\d+$", Libvips.Version);

    [Fact]
    public void Huge_header_in_a_buffer_is_refused_too()
    {
        ImageDecodeException e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(File.ReadAllBytes(Fixtures.Path("huge-header.png")), "upload"));
        Assert.Equal(ImageDecodeFailure.TooLarge, e.Failure);
    }
}
