using ResShift.Pipeline.Imaging;

namespace ResShift.Pipeline.Tests.Imaging;

/// <summary>
/// Multi-page TIFFs and animated PNGs are refused with the page/frame count rather than cut to the first
/// page; the same writers' single-page files decode, so the refusal is about the pages and nothing else.
/// </summary>
public sealed class MultiFrameRefusalTests
{
    private readonly ImageDecoder _decoder = new();

    [Fact]
    public void A_multi_page_tiff_is_refused_from_a_buffer_and_from_a_file()
    {
        byte[] tiff = MultiFrameWriter.Tiff(pages: 3);
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(tiff, "scan.tif"));
        Assert.Equal(ImageDecodeFailure.MultiFrame, e.Failure);
        Assert.Equal("scan.tif: a multi-page TIFF with 3 pages/frames; only single images are restored (split it into one file per page or frame)", e.Message);

        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("scan.tif"), tiff);
        Assert.Equal(ImageDecodeFailure.MultiFrame, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(dir.File("scan.tif"))).Failure);

        using DecodedImage single = _decoder.Decode(MultiFrameWriter.Tiff(pages: 1), "one.tif");
        Assert.Equal((4, 3), (single.Width, single.Height));
        Assert.Equal(ImageFormat.Tiff, single.Metadata.SourceFormat);
    }

    [Fact]
    public void An_animated_png_is_refused_from_a_buffer_and_from_a_file()
    {
        byte[] apng = MultiFrameWriter.Apng(frames: 2);
        Assert.Equal(2u, AnimatedPng.Frames(apng));
        var e = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(apng, "anim.png"));
        Assert.Equal(ImageDecodeFailure.MultiFrame, e.Failure);
        Assert.Contains("an animated PNG with 2 pages/frames", e.Message);

        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("anim.png"), apng);
        Assert.Equal(ImageDecodeFailure.MultiFrame, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(dir.File("anim.png"))).Failure);

        // One frame: the default image is the whole picture; it decodes like any PNG.
        using DecodedImage single = _decoder.Decode(MultiFrameWriter.Apng(frames: 1), "still.png");
        Assert.Equal((4, 3), (single.Width, single.Height));
    }
}
