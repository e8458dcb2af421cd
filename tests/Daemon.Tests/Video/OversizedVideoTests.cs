using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Tests.Video;

/// <summary>
/// Issue 24 case 5: a video whose frames exceed the pixel limit (the limit images have) is refused from its probe,
/// like an image from its header: failed/ with an error naming the size and the limit, and no frame decoded, so the
/// daemon's peak memory does not grow by a frame (an 8192² frame is 200 MB as rgb24 and 800 MB as floats).
/// </summary>
public sealed class OversizedVideoTests
{
    [Fact]
    public async Task A_video_over_the_pixel_limit_is_refused_from_its_probe_without_decoding_a_frame()
    {
        string work = Repo.TempDir(), root = Directory.CreateDirectory(Path.Combine(work, "root")).FullName;
        string staging = Directory.CreateDirectory(Path.Combine(work, "staging")).FullName;
        string big = Path.Combine(staging, "big.mkv");
        await ChildProcess.RunAsync(FfmpegTools.Default.Ffmpeg,
            ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=8192x8192:r=25", "-frames:v", "1",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", big], CancellationToken.None);

        using DaemonProcess daemon = DaemonProcess.Start(work, [DaemonProcess.Root(root)], threads: 1, maxPixels: 50_000_000);
        string inbox = Path.Combine(root, "inbox");
        await WatchFixtures.WaitUntil(() => Directory.Exists(inbox), TimeSpan.FromSeconds(60), daemon.Log);
        long before = PeakResident(daemon.Pid);
        File.Move(big, Path.Combine(inbox, "big.mkv"));

        string error = Path.Combine(root, "failed", "big.mkv.error.json");
        await WatchFixtures.WaitUntil(() => File.Exists(error) || daemon.HasExited, TimeSpan.FromSeconds(300),
            () => daemon.Log() + string.Join(", ", WatchFixtures.Files(root)));
        long grown = PeakResident(daemon.Pid) - before;
        string text = await File.ReadAllTextAsync(error);

        Assert.Contains("67108864 pixels; the limit is 50000000 pixels", text); // the JSON escapes the ×
        Assert.True(grown < 150L << 20, $"peak RSS grew by {grown >> 20} MiB: a frame was decoded before the refusal");
        Assert.True(File.Exists(Path.Combine(root, "failed", "big.mkv")), "the original is not kept in failed/");
        Assert.Empty(WatchFixtures.Files(Path.Combine(root, "outbox")));
        Assert.False(daemon.HasExited, daemon.Log());
    }

    /// <summary>VmHWM: the most resident memory the process has had.</summary>
    private static long PeakResident(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmHWM in /proc/PID/status");
    }
}
