using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Probing;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>Proof item 1: the decisions made from ffprobe for each kind of source, on fixtures made by lavfi.</summary>
public sealed class ProbeDecisionTests : IDisposable
{
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<(MediaProbe Probe, VideoDecisions Decisions)> DecideAsync(string path, InterlacePolicy interlace = InterlacePolicy.Deinterlace)
    {
        var prober = new VideoProber(_f.Tools);
        MediaProbe probe = await prober.ProbeAsync(path, CancellationToken.None);
        StreamProbe v = probe.Video!;
        List<long> pts = await prober.PacketPtsAsync(path, v.Index, CancellationToken.None);
        Hdr10Metadata? hdr = await prober.ProbeHdr10Async(path, v.Index, CancellationToken.None);
        return (probe, VideoDecider.Decide(Path.GetFileName(path), v, pts, hdr, interlace));
    }

    [Fact]
    public async Task Cfr_25_fps_is_cfr_at_25()
    {
        var (_, d) = await DecideAsync(await _f.CfrAsync("cfr25.mkv", rate: "25"));
        Assert.False(d.Vfr);
        Assert.Equal(new Rational(25, 1), d.FrameRate);
        Assert.Equal("rgb24", d.RawPixelFormat);
    }

    [Fact]
    public async Task Ntsc_film_rate_is_cfr_at_24000_over_1001()
    {
        // In MKV the ms time base rounds 41.708 ms to 41 or 42: not VFR.
        var (_, d) = await DecideAsync(await _f.CfrAsync("ntsc.mkv", rate: "24000/1001", seconds: 2));
        Assert.False(d.Vfr);
        Assert.Equal(new Rational(24000, 1001), d.FrameRate);
    }

    [Fact]
    public async Task Vfr_is_detected_from_packet_pts_though_the_stream_says_25()
    {
        string path = await _f.VfrAsync();
        var (probe, d) = await DecideAsync(path);
        Assert.Equal(new Rational(25, 1), probe.Video!.RFrameRate); // the header lies, as on real VFR files
        Assert.True(d.Vfr);
    }

    [Fact]
    public async Task Rotated_mp4_takes_its_geometry_after_rotation()
    {
        var (probe, d) = await DecideAsync(await _f.RotatedAsync());
        Assert.Equal(32, probe.Video!.Width);
        Assert.Equal(90, Math.Abs(probe.Video.Rotation));
        Assert.Equal(24, d.Width);
        Assert.Equal(32, d.Height);
    }

    [Fact]
    public async Task Hdr10_x265_is_hdr_10_bit_with_its_mastering_display_and_light_level()
    {
        var (_, d) = await DecideAsync(await _f.Hdr10Async());
        Assert.True(d.Hdr);
        Assert.Equal(10, d.BitDepth);
        Assert.Equal("rgb48le", d.RawPixelFormat);
        Assert.Equal("bt2020", d.Matrix);
        Assert.Equal("smpte2084", d.TransferTag);
        Assert.Equal("bt2020", d.PrimariesTag);
        Assert.NotNull(d.Hdr10);
        Assert.Equal("G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)", d.Hdr10!.X265MasterDisplay);
        Assert.Equal(1000, d.Hdr10.MaxContent);
        Assert.Equal(400, d.Hdr10.MaxAverage);
    }

    [Fact]
    public async Task Interlaced_is_deinterlaced_or_refused_by_option()
    {
        string path = await _f.InterlacedAsync();
        var (_, d) = await DecideAsync(path);
        Assert.True(d.Interlaced);
        Assert.True(d.Deinterlace);
        var e = await Assert.ThrowsAsync<VideoException>(() => DecideAsync(path, InterlacePolicy.Refuse));
        Assert.Contains("interlaced.mkv", e.Message);
        Assert.Contains("interlaced", e.Message[("interlaced.mkv".Length)..]);
    }

    [Fact]
    public async Task Untagged_hd_gets_bt709_and_untagged_sd_bt601()
    {
        var (hdProbe, hd) = await DecideAsync(await _f.CfrAsync("hd.mkv", size: "1280x720", seconds: 0.08));
        Assert.Null(hdProbe.Video!.ColorSpace);
        Assert.Equal("bt709", hd.Matrix);
        Assert.Contains("untagged HD", hd.MatrixReason);
        Assert.Equal("tv", hd.Range);
        var (sdProbe, sd) = await DecideAsync(await _f.CfrAsync("sd.mkv", size: "720x480", seconds: 0.08));
        Assert.Null(sdProbe.Video!.ColorSpace);
        Assert.Equal("bt601", sd.Matrix);
        Assert.Contains("untagged SD", sd.MatrixReason);
        Assert.Equal("smpte170m", sd.ColorSpaceTag);
    }

    [Fact]
    public async Task Tagged_bt709_full_range_is_taken_as_tagged()
    {
        var (_, d) = await DecideAsync(await _f.CfrAsync("tagged.mkv", extra: ["-colorspace", "bt709", "-color_range", "pc", "-color_primaries", "bt709", "-color_trc", "bt709"]));
        Assert.Equal("bt709", d.Matrix);
        Assert.StartsWith("tagged", d.MatrixReason);
        Assert.Equal("pc", d.Range);
    }

    [Fact]
    public async Task Rich_mkv_lists_audio_subtitles_attachment_chapters_and_title()
    {
        var (probe, d) = await DecideAsync(await _f.RichMkvAsync());
        Assert.Equal("aac", Assert.Single(probe.OfKind(StreamKind.Audio)).Codec);
        Assert.Equal("fra", probe.OfKind(StreamKind.Audio).Single().Language);
        StreamProbe sub = Assert.Single(probe.OfKind(StreamKind.Subtitle));
        Assert.Equal(("subrip", "eng"), (sub.Codec, sub.Language));
        StreamProbe font = Assert.Single(probe.OfKind(StreamKind.Attachment));
        Assert.Equal(("font.ttf", "application/x-truetype-font"), (font.FileName, font.MimeType));
        Assert.Equal(2, probe.Chapters.Count);
        Assert.Equal(0.5, probe.Chapters[1].Start, 3);
        Assert.Equal("Two", probe.Chapters[1].Title);
        Assert.Equal("Demo title", probe.Tags["title"]);
        Assert.Equal(0.023, probe.Video!.StartTime!.Value - probe.OfKind(StreamKind.Audio).Single().StartTime!.Value, 3);
        Assert.False(d.Vfr);
    }
}
