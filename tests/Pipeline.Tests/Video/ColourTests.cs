using Xunit.Abstractions;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>
/// Proof item 3: 75 % colour bars, BT.709 (tagged, and untagged at HD size), through an identity engine come out
/// within 2 code values per bar; the same frames encoded with the colour tags alone (no explicit matrix) are off
/// by 15 or more, so the measure sees the failure it guards against.
/// </summary>
public sealed class ColourTests(ITestOutputHelper log) : IDisposable
{
    private static readonly byte[][] Bars =
    [
        [191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0], [0, 0, 191], [16, 16, 16],
    ];

    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<string> RawBarsAsync(int width, int height, int frames)
    {
        var frame = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                Bars[x * Bars.Length / width].CopyTo(frame, (y * width + x) * 3);
        string path = _f.PathOf($"bars-{width}x{height}.rgb");
        await using var f = File.Create(path);
        for (int i = 0; i < frames; i++) await f.WriteAsync(frame);
        return path;
    }

    /// <summary>Encodes the raw bars to x264 BT.709 limited range with an explicit conversion; tags optional.</summary>
    private async Task<string> BarsVideoAsync(string name, int width, int height, bool tagged)
    {
        string raw = await RawBarsAsync(width, height, 3);
        string[] tags = tagged ? ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"] : [];
        return await _f.FfmpegAsync(name, ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-framerate", "25", "-i", "file:" + raw,
            "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int,format=yuv420p",
            "-c:v", "libx264", "-crf", "16", .. tags]);
    }

    /// <summary>The worst difference, over bars and channels, between each bar's mean (its middle half) and its true colour.</summary>
    private static int WorstBarError(IReadOnlyList<byte[]> frames, int width, int height)
    {
        int worst = 0;
        int barWidth = width / Bars.Length;
        foreach (byte[] frame in frames)
            for (int b = 0; b < Bars.Length; b++)
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    int n = 0;
                    for (int y = 0; y < height; y++)
                        for (int x = b * barWidth + barWidth / 4; x < (b + 1) * barWidth - barWidth / 4; x++, n++)
                            sum += frame[(y * width + x) * 3 + c];
                    worst = Math.Max(worst, (int)Math.Round(Math.Abs(sum / n - Bars[b][c])));
                }
        return worst;
    }

    [Theory]
    [InlineData(true, 128, 16)]   // tagged BT.709, SD size: the tag decides
    [InlineData(false, 1280, 16)] // untagged, HD width: the heuristic picks BT.709
    public async Task Bars_through_an_identity_engine_stay_within_2_code_values(bool tagged, int width, int height)
    {
        string input = await BarsVideoAsync(tagged ? "tagged.mkv" : "untagged-hd.mkv", width, height, tagged);
        string output = _f.PathOf("out/bars.mkv");
        await VideoRun.RunAsync(new IdentityEngine(tile: 32, maxBatch: 8), input, output);
        List<byte[]> frames = await _f.DecodeRgbAsync(output, width, height);
        Assert.Equal(3, frames.Count);
        int worst = WorstBarError(frames, width, height);
        log.WriteLine($"tagged={tagged} {width}x{height}: worst bar error {worst} code values");
        Assert.True(worst <= 2, $"worst bar error {worst} code values");
    }

    [Fact]
    public async Task Negative_control_tags_alone_shift_the_bars_by_15_or_more()
    {
        const int width = 128, height = 16;
        string raw = await RawBarsAsync(width, height, 3);
        // What a naive pipeline does: RGB frames to x264 with the BT.709 tags and no explicit matrix.
        string naive = await _f.FfmpegAsync("naive.mkv", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-framerate", "25",
            "-i", "file:" + raw, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-crf", "16",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv");
        int worst = WorstBarError(await _f.DecodeRgbAsync(naive, width, height), width, height);
        log.WriteLine($"tags only: worst bar error {worst} code values");
        Assert.True(worst >= 15, $"worst bar error {worst} code values");
    }
}
