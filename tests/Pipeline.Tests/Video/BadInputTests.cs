using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Codec;

namespace ResShift.Pipeline.Tests.Video;

/// <summary>
/// Proof item 10 (job level): each bad input is a <see cref="VideoException"/> naming the file and the reason,
/// the original is untouched, no output, sidecar or spool is left, and the same pipeline then restores a good video.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly VideoFixtures _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<string> TruncatedAsync()
    {
        string whole = await _f.CfrAsync("whole.mkv", size: "64x48", seconds: 2);
        byte[] bytes = await File.ReadAllBytesAsync(whole);
        string path = _f.PathOf("truncated.mkv");
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length * 6 / 10)]);
        return path;
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "truncated", "damaged or truncated" },
        { "audio-only", "no video stream" },
        { "zero-frame", "no streams" },
        { "garbage", "not a readable media file" },
        { "no-ffmpeg", "ffprobe not found" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_fails_clearly_and_leaves_nothing_behind(string kind, string reason)
    {
        FfmpegTools tools = kind == "no-ffmpeg" ? FfmpegTools.Default with { Ffprobe = _f.PathOf("missing/ffprobe"), Ffmpeg = _f.PathOf("missing/ffmpeg") } : _f.Tools;
        string input = kind switch
        {
            "truncated" => await TruncatedAsync(),
            "audio-only" => await _f.FfmpegAsync("audio-only.mp4", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac"),
            "zero-frame" => await _f.FfmpegAsync("zero-frame.mp4", "-f", "lavfi", "-i", "testsrc2=s=32x24:r=25:d=1", "-frames:v", "0", "-c:v", "libx264"),
            "garbage" => await WriteAsync("garbage.mp4", Enumerable.Range(0, 5000).Select(i => (byte)(i * 31 + 7)).ToArray()),
            _ => await _f.CfrAsync("fine.mkv", seconds: 0.2),
        };
        byte[] before = await File.ReadAllBytesAsync(input);
        string outDir = _f.PathOf("out");
        Directory.CreateDirectory(outDir);
        string output = Path.Combine(outDir, "result.mkv");

        var engines = new IdentityEngine();
        await using var pipeline = new RestorePipeline(engines, new DiffusionSchedule(VideoRun.Schedule), new PipelineOptions { Overlap = 4 });
        var job = new VideoRestoreJob(input, output, Path.GetFileName(input), VideoJobOptions.Default, tools);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var e = await Assert.ThrowsAsync<VideoException>(() => job.RunAsync(pipeline, engines.EngineName, engines.Precision, timeout.Token));

        Assert.StartsWith(Path.GetFileName(input) + ":", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(input));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir)); // no output, no sidecar, no spool

        // The pipeline is still good for the next video.
        string good = await _f.CfrAsync("good.mkv", seconds: 0.2);
        var next = new VideoRestoreJob(good, Path.Combine(outDir, "good.mkv"), "good.mkv", VideoJobOptions.Default);
        VideoResult r = await next.RunAsync(pipeline, engines.EngineName, engines.Precision, timeout.Token);
        Assert.Equal(5, r.FramesOut);
    }

    private async Task<string> WriteAsync(string name, byte[] bytes)
    {
        string path = _f.PathOf(name);
        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }
}
