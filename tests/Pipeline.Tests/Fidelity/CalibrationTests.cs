using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Resampling;
using ResShift.Pipeline.Tests.Imaging;
using Xunit.Abstractions;

namespace ResShift.Pipeline.Tests.Fidelity;

/// <summary>
/// What faithful ×4 upscales score on the committed photo crops: the region a good model's outputs should
/// reach (docs/FIDELITY.md, "Calibrating them"). The figures are printed for the record.
/// </summary>
public class CalibrationTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData("photo-aqua.png")]
    [InlineData("photo-garden.jpg")]
    [InlineData("photo-ladybird.jpg")]
    public void BicubicUpscaleOfAPhotoCropIsHighlyConsistent(string name)
    {
        using DecodedImage photo = new ImageDecoder().Decode(Fixtures.Path(name));
        int w = photo.Width, h = photo.Height;
        var up = new float[3 * 16 * w * h];
        new BicubicUpsampler(4).Upsample(photo.Pixels.Rgb, 3, h, w, up);
        using var reference = FidelityReference.Capture(photo.Pixels.Rgb, w, h, 4, SampleRange.Unit);
        FidelityReport bicubic = ConsistencyMeter.Measure(reference, up, 4 * w, 4 * h, SampleRange.Unit);
        FidelityReport noise = ConsistencyMeter.Measure(reference, Pairs.Noise(4 * w, 4 * h, 1), 4 * w, 4 * h, SampleRange.Unit);
        log.WriteLine($"{name}: bicubic x4 PSNR {bicubic.PsnrDb:F2} dB SSIM {bicubic.Ssim:F4}; noise PSNR {noise.PsnrDb:F2} dB SSIM {noise.Ssim:F4}");
        Assert.True(bicubic.PsnrDb > 30, $"bicubic PSNR {bicubic.PsnrDb}");
        Assert.True(bicubic.Ssim > 0.95, $"bicubic SSIM {bicubic.Ssim}");
        Assert.True(noise.PsnrDb < bicubic.PsnrDb - 15 && noise.Ssim < 0.35, $"noise PSNR {noise.PsnrDb}, SSIM {noise.Ssim}");
    }
}
