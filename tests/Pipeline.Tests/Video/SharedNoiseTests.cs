using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using Xunit.Abstractions;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>
/// Proof items 8 and 9 on tiny-x4 (random weights, real ONNX Runtime), lossless FFV1 output so decoded frames
/// are the restored frames: one noise field per video makes the frames independent of segmentation and batch
/// composition, and removes the flicker that per-frame noise brings.
/// </summary>
public sealed class SharedNoiseTests(ITestOutputHelper log) : IDisposable
{
    private const int W = 32, H = 24;
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    /// <summary>A static random scene with ±3 of fresh sensor noise per frame; frames 0 and 1 are identical. Lossless FFV1.</summary>
    private async Task<string> StaticNoisySceneAsync(int frames)
    {
        var rng = new Random(7);
        var scene = new byte[W * H * 3];
        rng.NextBytes(scene);
        string raw = _f.PathOf("scene.rgb");
        await using (var f = File.Create(raw))
        {
            byte[] frame = (byte[])scene.Clone();
            for (int i = 0; i < frames; i++)
            {
                if (i != 1)
                    for (int k = 0; k < frame.Length; k++) frame[k] = (byte)Math.Clamp(scene[k] + rng.Next(-3, 4), 0, 255);
                await f.WriteAsync(frame);
            }
        }
        return await _f.FfmpegAsync("scene.mkv", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{W}x{H}", "-framerate", "25", "-i", "file:" + raw,
            "-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv444p", "-c:v", "ffv1", "-colorspace", "smpte170m", "-color_range", "tv");
    }

    private async Task<List<byte[]>> RestoreAsync(string input, string name, NoiseMode noise, int segmentFrames, int maxBatch)
    {
        (IEngineSet engines, _) = VideoRun.TinyX4(maxBatch);
        using (engines)
        {
            string output = _f.PathOf($"out/{name}.mkv");
            await VideoRun.RunAsync(engines, input, output,
                new VideoJobOptions { Noise = noise, SegmentFrames = segmentFrames, Encoder = new EncoderSettings { Codec = VideoCodec.Ffv1 } },
                maxBatch: maxBatch);
            return await _f.DecodeRgbAsync(output, 4 * W, 4 * H, "bt601");
        }
    }

    [Fact]
    public async Task Segment_size_and_batch_size_do_not_change_a_frame()
    {
        string input = await StaticNoisySceneAsync(6);
        List<byte[]> a = await RestoreAsync(input, "seg3-batch1", NoiseMode.Shared, segmentFrames: 3, maxBatch: 1);
        List<byte[]> b = await RestoreAsync(input, "seg5-batch4", NoiseMode.Shared, segmentFrames: 5, maxBatch: 4);
        Assert.Equal(6, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            Assert.True(a[i].AsSpan().SequenceEqual(b[i]), $"frame {i} differs between segment 3 / batch 1 and segment 5 / batch 4");
    }

    [Fact]
    public async Task Shared_noise_flickers_far_less_than_per_frame_noise()
    {
        string input = await StaticNoisySceneAsync(5);
        double source = Flicker(await _f.DecodeRgbAsync(input, W, H, "bt601"));
        List<byte[]> shared = await RestoreAsync(input, "shared", NoiseMode.Shared, 0, 4);
        List<byte[]> perFrame = await RestoreAsync(input, "per-frame", NoiseMode.PerFrame, 0, 4);
        List<byte[]> zero = await RestoreAsync(input, "zero", NoiseMode.Zero, 0, 4);
        double fs = Flicker(shared), fp = Flicker(perFrame), fz = Flicker(zero);
        log.WriteLine($"flicker (mean |frame i+1 - frame i|, i >= 1): source {source:F3}, shared {fs:F3}, per-frame {fp:F3}, zero {fz:F3}; "
            + $"shared/per-frame {fs / fp:F3}, shared/zero {fs / fz:F3}");
        Assert.True(fs <= 0.4 * fp, $"shared {fs:F3} vs per-frame {fp:F3}");
        Assert.True(fs <= 1.25 * fz, $"shared {fs:F3} vs noise 0 {fz:F3}");
        Assert.True(shared[0].AsSpan().SequenceEqual(shared[1]), "identical input frames 0 and 1 gave different output frames");
        Assert.False(perFrame[0].AsSpan().SequenceEqual(perFrame[1]), "per-frame noise should differ between frames (the control)");
    }

    /// <summary>Mean absolute difference between consecutive frames, from frame 1 on (frames 0 and 1 are identical inputs).</summary>
    private static double Flicker(List<byte[]> frames)
    {
        double sum = 0;
        long n = 0;
        for (int i = 2; i < frames.Count; i++)
            for (int k = 0; k < frames[i].Length; k++, n++)
                sum += Math.Abs(frames[i][k] - frames[i - 1][k]);
        return sum / n;
    }
}
