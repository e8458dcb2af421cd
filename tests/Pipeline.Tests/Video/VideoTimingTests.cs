using ResShift.Pipeline.Video.Probing;
using Xunit.Abstractions;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>Proof item 2: the output has exactly the input's frames; CFR stays CFR at the same rate; VFR keeps its pts.</summary>
public sealed class VideoTimingTests(ITestOutputHelper log) : IDisposable
{
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Cfr_at_24000_over_1001_keeps_every_frame_at_i_over_fps()
    {
        string input = await _f.CfrAsync("ntsc.mkv", rate: "24000/1001", seconds: 2);
        string output = _f.PathOf("out/ntsc.mkv");
        await VideoRun.RunAsync(new IdentityEngine(), input, output, new() { SegmentFrames = 10 });

        List<long> inPts = await _f.PacketPtsAsync(input);
        List<long> outPts = await _f.PacketPtsAsync(output);
        Assert.Equal(48, inPts.Count);
        Assert.Equal(inPts.Count, outPts.Count);
        MediaProbe probe = await _f.ProbeAsync(output);
        Assert.Equal(new Rational(24000, 1001), probe.Video!.RFrameRate);
        outPts.Sort();
        double tb = probe.Video.TimeBase.Value;
        double worst = outPts.Select((p, i) => Math.Abs((p - outPts[0]) * tb - i * 1001.0 / 24000)).Max();
        Assert.True(worst <= 0.001, $"worst pts error {worst * 1000:F3} ms");
    }

    [Fact]
    public async Task Vfr_sorted_pts_are_the_sources()
    {
        string input = await _f.VfrAsync();
        string output = _f.PathOf("out/vfr.mkv");
        await VideoRun.RunAsync(new IdentityEngine(), input, output, new() { SegmentFrames = 7 });
        List<long> inPts = await _f.PacketPtsAsync(input);
        List<long> outPts = await _f.PacketPtsAsync(output);
        inPts.Sort();
        outPts.Sort();
        Assert.Contains(55L, inPts); // the fixture really is VFR
        Assert.Equal(inPts, outPts);
    }

    /// <summary>Proof item 6: 60 s at 24000/1001 in 30-frame segments; the joins keep every pts within 1 ms.</summary>
    [Fact]
    public async Task Sixty_seconds_at_ntsc_rate_in_30_frame_segments_join_within_1_ms()
    {
        string input = await _f.CfrAsync("long.mkv", size: "16x16", rate: "24000/1001", seconds: 60, "-g", "30", "-preset", "ultrafast");
        string output = _f.PathOf("out/long.mkv");
        await VideoRun.RunAsync(new IdentityEngine(tile: 16, maxBatch: 8), input, output,
            new() { SegmentFrames = 30, Window = 32, Encoder = new() { Preset = "ultrafast" } }, maxBatch: 8);
        List<long> outPts = await _f.PacketPtsAsync(output);
        List<long> inPts = await _f.PacketPtsAsync(input);
        Assert.Equal(inPts.Count, outPts.Count);
        Assert.True(outPts.Count >= 1438, $"{outPts.Count} frames");
        outPts.Sort();
        MediaProbe probe = await _f.ProbeAsync(output);
        double tb = probe.Video!.TimeBase.Value;
        double worst = 0, worstAtJoin = 0;
        for (int i = 0; i < outPts.Count; i++)
        {
            double error = Math.Abs((outPts[i] - outPts[0]) * tb - i * 1001.0 / 24000);
            worst = Math.Max(worst, error);
            if (i % 30 == 0) worstAtJoin = Math.Max(worstAtJoin, error);
        }
        inPts.Sort();
        double worstVsSource = inPts.Select((p, i) => Math.Abs((outPts[i] - outPts[0]) - (p - inPts[0])) * tb).Max();
        log.WriteLine($"{outPts.Count} frames: worst pts error {worst * 1000:F3} ms, at joins {worstAtJoin * 1000:F3} ms, vs the source's pts {worstVsSource * 1000:F3} ms");
        // MKV stores ms: a pts is i·41.7083 ms rounded, so an error of half a tick plus the rounding of the start is expected.
        Assert.True(worstAtJoin <= 0.001 + 1e-9, $"worst pts error at a join {worstAtJoin * 1000:F3} ms");
        Assert.True(worst <= 0.001 + 1e-9, $"worst pts error {worst * 1000:F3} ms");
        Assert.True(worstVsSource <= 0.001 + 1e-9, $"worst difference from the source's pts {worstVsSource * 1000:F3} ms");
    }
}
