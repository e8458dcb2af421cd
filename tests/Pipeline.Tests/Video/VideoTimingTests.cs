using ResShift.Pipeline.Video.Probing;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>Proof item 2: the output has exactly the input's frames; CFR stays CFR at the same rate; VFR keeps its pts.</summary>
public sealed class VideoTimingTests : IDisposable
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
}
