using System.Diagnostics;
using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

public sealed class ImageDecoderFailureTests : IDisposable
{
    private readonly ImageDecoder _decoder = new();
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Missing_file() => AssertFails(_dir.File("nope.png"), ImageDecodeFailure.NotFound);

    [Fact]
    public void Directory_is_refused() => AssertFails(_dir.Root, ImageDecodeFailure.IsDirectory);

    [Fact]
    public void Zero_byte_file() => AssertFails(Write("empty.png", []), ImageDecodeFailure.Empty);

    [Fact]
    public void Text_file_is_not_an_image() =>
        AssertFails(Write("notes.png", "this is not an image, just some text\n"u8.ToArray()), ImageDecodeFailure.UnknownFormat);

    [Fact]
    public void Known_but_unsupported_format_is_refused()
    {
        // A 1×1 GIF: libvips can read it, the pipeline does not accept it.
        byte[] gif = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");
        AssertFails(Write("tiny.gif", gif), ImageDecodeFailure.UnsupportedFormat);
    }

    [Theory]
    [InlineData("photo-aqua.png", 0.5)]
    [InlineData("rgb16-gradient.png", 0.3)]
    [InlineData("photo-ladybird.jpg", 0.6)]
    [InlineData("orient6-icc.jpg", 0.7)]
    public void Truncated_file_is_an_error_not_a_grey_image(string fixture, double keep)
    {
        byte[] whole = File.ReadAllBytes(Fixtures.Path(fixture));
        string path = Write("cut-" + fixture, whole[..(int)(whole.Length * keep)]);

        AssertFails(path, ImageDecodeFailure.Corrupt);
    }

    [Fact]
    public void Pixel_limit_is_checked_from_the_header_without_decoding()
    {
        string path = Fixtures.Path("huge-header.png");
        using (_decoder.Decode(Fixtures.Path("tiny-1x1.png"))) { } // warm up libvips and the JIT

        long before = GC.GetAllocatedBytesForCurrentThread();
        Stopwatch clock = Stopwatch.StartNew();
        ImageDecodeException e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(path));
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ImageDecodeFailure.TooLarge, e.Failure);
        Assert.Contains(path, e.Message);
        Assert.Contains("100000×100000", e.Message);
        Assert.Contains("100000000", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
        Assert.True(clock.ElapsedMilliseconds < 2000, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Limits_are_configurable()
    {
        ImageDecoder strict = new(new ImageDecoderOptions { MaxPixels = 1000 });
        ImageDecodeException e = Assert.Throws<ImageDecodeException>(() => strict.Decode(Fixtures.Path("rgb16-gradient.png")));
        Assert.Contains("64×48 = 3072 pixels", e.Message);

        ImageDecoder narrow = new(new ImageDecoderOptions { MaxSide = 50 });
        e = Assert.Throws<ImageDecodeException>(() => narrow.Decode(Fixtures.Path("rgb16-gradient.png")));
        Assert.Equal(ImageDecodeFailure.TooLarge, e.Failure);
    }

    [Fact]
    public void Bad_buffer_names_the_source()
    {
        ImageDecodeException e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode("plain text"u8, "upload-17"));
        Assert.StartsWith("upload-17: ", e.Message);
        Assert.Equal(ImageDecodeFailure.UnknownFormat, e.Failure);
        Assert.Equal(ImageDecodeFailure.Empty, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(ReadOnlySpan<byte>.Empty, "x")).Failure);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private void AssertFails(string path, ImageDecodeFailure failure)
    {
        ImageDecodeException e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(path));
        Assert.Equal(failure, e.Failure);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Equal(path, e.SourceName);
    }
}
