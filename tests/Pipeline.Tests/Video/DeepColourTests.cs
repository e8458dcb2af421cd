using System.Buffers.Binary;
using ResShift.Pipeline.Video.Probing;
using Xunit.Abstractions;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>
/// Proof item 4: a 10-bit source goes through the model at 16 bits (rgb48) and comes out at 10 bits, at least
/// 10 dB closer to the source than the same frames through 8 bits; HDR10 tags, mastering display and content
/// light level come out equal to the source's.
/// </summary>
public sealed class DeepColourTests(ITestOutputHelper log) : IDisposable
{
    private const int W = 64, H = 32;
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    /// <summary>A smooth 16-bit field (ramps finer than 8-bit steps), BT.709 limited, stored losslessly as FFV1 yuv444p10le.</summary>
    private async Task<string> TenBitSourceAsync()
    {
        var frame = new byte[W * H * 6];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < 3; c++)
                {
                    double v = 0.35 + 0.12 * x / W + 0.05 * y / H + 0.03 * c;
                    BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(((y * W + x) * 3 + c) * 2), (ushort)Math.Round(v * 65535));
                }
        string raw = _f.PathOf("ramp.rgb48");
        await File.WriteAllBytesAsync(raw, [.. frame, .. frame]);
        return await _f.FfmpegAsync("ten-bit.mkv", "-f", "rawvideo", "-pix_fmt", "rgb48le", "-s", $"{W}x{H}", "-framerate", "25", "-i", "file:" + raw,
            "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int,format=yuv444p10le",
            "-c:v", "ffv1", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv");
    }

    private static double Psnr(byte[] a, byte[] b)
    {
        double sum = 0;
        int n = a.Length / 2;
        for (int i = 0; i < n; i++)
        {
            double d = BinaryPrimitives.ReadUInt16LittleEndian(a.AsSpan(2 * i)) - BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2 * i));
            sum += d * d;
        }
        return 10 * Math.Log10(65535.0 * 65535.0 / Math.Max(sum / n, 1e-9));
    }

    [Fact]
    public async Task Ten_bit_through_the_16_bit_path_beats_8_bits_by_10_dB()
    {
        string source = await TenBitSourceAsync();
        string ours = _f.PathOf("out/ours.mkv");
        await VideoRun.RunAsync(new IdentityEngine(tile: 32), source, ours, new() { Encoder = new() { Codec = Pipeline.Video.Codec.VideoCodec.Ffv1 } });
        Assert.Equal("yuv444p10le", (await _f.ProbeAsync(ours)).Video!.PixelFormat);

        // The 8-bit route: the same frames through rgb24, then the same 10-bit lossless encode.
        string raw8 = _f.PathOf("eight.rgb");
        await File.WriteAllBytesAsync(raw8, (await _f.DecodeRgbAsync(source, W, H)).SelectMany(f => f).ToArray());
        string eight = await _f.FfmpegAsync("eight.mkv", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{W}x{H}", "-framerate", "25", "-i", "file:" + raw8,
            "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int,format=yuv444p10le", "-c:v", "ffv1");

        byte[] reference = (await _f.DecodeRgbAsync(source, W, H, format: "rgb48le"))[0];
        double psnrOurs = Psnr(reference, (await _f.DecodeRgbAsync(ours, W, H, format: "rgb48le"))[0]);
        double psnrEight = Psnr(reference, (await _f.DecodeRgbAsync(eight, W, H, format: "rgb48le"))[0]);
        log.WriteLine($"PSNR vs the 10-bit source: 16-bit path {psnrOurs:F2} dB, 8-bit path {psnrEight:F2} dB");
        Assert.True(psnrOurs >= psnrEight + 10, $"16-bit path {psnrOurs:F2} dB, 8-bit path {psnrEight:F2} dB");
    }

    [Fact]
    public async Task Hdr10_comes_out_as_x265_10_bit_with_the_sources_tags_and_metadata()
    {
        string source = await _f.Hdr10Async();
        string output = _f.PathOf("out/hdr.mkv");
        await VideoRun.RunAsync(new IdentityEngine(tile: 32), source, output);
        var prober = new VideoProber(_f.Tools);
        StreamProbe a = (await _f.ProbeAsync(source)).Video!, b = (await _f.ProbeAsync(output)).Video!;
        Assert.Equal("hevc", b.Codec);
        Assert.Equal("yuv420p10le", b.PixelFormat);
        Assert.Equal((a.ColorPrimaries, a.ColorTransfer, a.ColorSpace, a.ColorRange), (b.ColorPrimaries, b.ColorTransfer, b.ColorSpace, b.ColorRange));
        Hdr10Metadata? ha = await prober.ProbeHdr10Async(source, 0, CancellationToken.None), hb = await prober.ProbeHdr10Async(output, 0, CancellationToken.None);
        Assert.NotNull(hb);
        Assert.Equal(ha!.X265MasterDisplay, hb!.X265MasterDisplay);
        Assert.Equal((ha.MaxContent, ha.MaxAverage), (hb.MaxContent, hb.MaxAverage));
    }
}
