using Microsoft.Win32.SafeHandles;
using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

/// <summary>
/// Decoding straight from an open file (a libvips source over its descriptor) gives what decoding its bytes gives,
/// for every accepted format, keeps the multi-frame refusal, and leaves the caller's handle open and reusable.
/// </summary>
public sealed class StreamedDecodeTests : IDisposable
{
    private readonly ImageDecoder _decoder = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("resshift-streamed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("rgb16-gradient.png")]
    [InlineData("rgb16-gradient.tif")]
    [InlineData("orient6-icc.jpg")] // EXIF rotation: the source is opened a second time, from its start
    [InlineData("rgba8.png")]
    [InlineData("graya16.png")]
    [InlineData("webp")]
    public void A_file_decodes_from_its_handle_as_from_its_bytes(string name)
    {
        string path = name == "webp" ? Webp() : Fixtures.Path(name);
        byte[] bytes = File.ReadAllBytes(path);
        using DecodedImage expected = _decoder.Decode(bytes, name);
        using SafeFileHandle file = File.OpenHandle(path);

        Assert.Equal(_decoder.ReadSize(bytes, name), _decoder.ReadSize(file, name));
        using DecodedImage streamed = _decoder.Decode(file, name);
        Assert.Equal(expected.Metadata.SourceFormat, streamed.Metadata.SourceFormat);
        Assert.Equal((expected.Width, expected.Height, expected.Layout, expected.BitDepth), (streamed.Width, streamed.Height, streamed.Layout, streamed.BitDepth));
        Assert.Equal(expected.Metadata.IccProfile, streamed.Metadata.IccProfile);
        Assert.True(expected.Pixels.Rgb.SequenceEqual(streamed.Pixels.Rgb));
        Assert.True(expected.Pixels.HasAlpha == streamed.Pixels.HasAlpha && (!expected.Pixels.HasAlpha || expected.Pixels.Alpha.SequenceEqual(streamed.Pixels.Alpha)));

        // The handle is still the caller's: open, and good for another decode from the start.
        Assert.False(file.IsClosed);
        using DecodedImage again = _decoder.Decode(file, name);
        Assert.True(expected.Pixels.Rgb.SequenceEqual(again.Pixels.Rgb));
    }

    [Fact]
    public void Several_frames_are_refused_from_a_handle_too()
    {
        foreach (var (name, content) in new[] { ("anim.png", MultiFrameWriter.Apng(3)), ("pages.tif", MultiFrameWriter.Tiff(2)) })
        {
            string path = Path.Combine(_dir, name);
            File.WriteAllBytes(path, content);
            using SafeFileHandle file = File.OpenHandle(path);
            var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(file, name));
            Assert.Equal(ImageDecodeFailure.MultiFrame, e.Failure);
        }
    }

    [Fact]
    public void An_empty_or_foreign_file_is_refused_with_its_reason()
    {
        string empty = Path.Combine(_dir, "empty.png"), text = Path.Combine(_dir, "text.png");
        File.WriteAllBytes(empty, []);
        File.WriteAllText(text, "not an image at all, just some text that is long enough");
        using (SafeFileHandle file = File.OpenHandle(empty))
            Assert.Equal(ImageDecodeFailure.Empty, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(file, "empty.png")).Failure);
        using (SafeFileHandle file = File.OpenHandle(text))
            Assert.Equal(ImageDecodeFailure.UnknownFormat, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(file, "text.png")).Failure);
    }

    private string Webp()
    {
        string path = Path.Combine(_dir, "rgba.webp");
        using DecodedImage source = _decoder.Decode(Fixtures.Path("rgba8.png"));
        new ImageEncoder(new ImageEncoderOptions { WebpLossless = true }).Encode(source, path);
        return path;
    }
}
