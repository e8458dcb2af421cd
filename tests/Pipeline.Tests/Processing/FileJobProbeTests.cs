using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Processing;

/// <summary>A file job's header probe reports the size its load will decode to, so the memory reserved is the memory used.</summary>
public class FileJobProbeTests
{
    [Theory]
    [InlineData("orient6-icc.jpg")] // EXIF orientation 6: the stored width and height are swapped on decode
    [InlineData("rgba8.png")]
    [InlineData("tiny-2x3.png")]
    public async Task TheProbedSizeIsTheLoadedSize(string file)
    {
        var job = new FileRestoreJob(TestData.PathOf("images", file), "/nonexistent/out.png", file, "test", 4, new ImageDecoder(), new ImageEncoder());
        ImageSize? probed = await job.ProbeAsync(CancellationToken.None);
        Assert.Equal(0, job.InputWidth); // nothing decoded yet
        LqImage lq = await job.LoadAsync(CancellationToken.None);
        Assert.Equal(new ImageSize(lq.Width, lq.Height), probed);

        // Loaded without a probe, the same file gives the same content key (the noise, hence the output).
        var unprobed = new FileRestoreJob(TestData.PathOf("images", file), "/nonexistent/out.png", file, "test", 4, new ImageDecoder(), new ImageEncoder());
        LqImage again = await unprobed.LoadAsync(CancellationToken.None);
        Assert.Equal(job.NoiseKey, unprobed.NoiseKey);
        Assert.Equal(lq.Pixels, again.Pixels);
    }

    [Fact]
    public async Task AHeaderOverTheDecoderPixelLimitIsRefusedByTheProbe()
    {
        var job = new FileRestoreJob(TestData.PathOf("images", "huge-header.png"), "/nonexistent/out.png", "huge-header.png", "test", 4,
            new ImageDecoder(new ImageDecoderOptions { MaxPixels = 1000 }), new ImageEncoder());
        var e = await Assert.ThrowsAsync<ImageDecodeException>(async () => await job.ProbeAsync(CancellationToken.None));
        Assert.Equal(ImageDecodeFailure.TooLarge, e.Failure);
        Assert.StartsWith("huge-header.png: ", e.Message);
    }
}
