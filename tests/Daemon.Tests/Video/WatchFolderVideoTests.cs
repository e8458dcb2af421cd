using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Video;

/// <summary>
/// The real daemon takes videos from a watch folder like images (proof item 10 at service level too): a good clip
/// comes out as MKV with its sidecar and shows in /metrics; a garbage ".mp4" and an audio-only file go to failed/
/// with an error naming them, their originals kept, no output, and the daemon stays up.
/// </summary>
public sealed class WatchFolderVideoTests
{
    [Fact]
    public async Task Videos_dropped_in_the_inbox_are_restored_or_failed_clearly_and_the_daemon_stays_up()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        string staging = Path.Combine(work, "staging");
        Directory.CreateDirectory(root); // roots are not created by the daemon
        Directory.CreateDirectory(staging);
        await Clips.MakeAsync(staging, "clip.mp4", frames: 3);
        await File.WriteAllBytesAsync(Path.Combine(staging, "garbage.mp4"), Enumerable.Range(0, 4000).Select(i => (byte)(i * 13 + 1)).ToArray());
        await Pipeline.Video.Processes.ChildProcess.RunAsync(Pipeline.Video.Processes.FfmpegTools.Default.Ffmpeg,
            ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "aac", Path.Combine(staging, "audio-only.mp4")], CancellationToken.None);
        byte[] garbage = await File.ReadAllBytesAsync(Path.Combine(staging, "garbage.mp4"));

        using DaemonProcess daemon = DaemonProcess.Start(work, [DaemonProcess.Root(root)], threads: 2);
        string inbox = Path.Combine(root, "inbox");
        await WatchFixtures.WaitUntil(() => Directory.Exists(inbox), TimeSpan.FromSeconds(60), daemon.Log);
        foreach (string f in Directory.EnumerateFiles(staging)) File.Move(f, Path.Combine(inbox, Path.GetFileName(f)));

        string outbox = Path.Combine(root, "outbox"), failed = Path.Combine(root, "failed"), done = Path.Combine(root, "done");
        await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(outbox, "clip.mkv.resshift.json"))
                && File.Exists(Path.Combine(failed, "garbage.mp4.error.json")) && File.Exists(Path.Combine(failed, "audio-only.mp4.error.json")),
            TimeSpan.FromSeconds(120), () => daemon.Log() + string.Join(", ", WatchFixtures.Files(root)));

        Assert.Equal(3, await Clips.FramesAsync(Path.Combine(outbox, "clip.mkv")));
        Assert.True(File.Exists(Path.Combine(done, "clip.mp4")));
        Assert.Equal(garbage, await File.ReadAllBytesAsync(Path.Combine(failed, "garbage.mp4")));
        Assert.True(File.Exists(Path.Combine(failed, "audio-only.mp4")));
        string garbageError = await File.ReadAllTextAsync(Path.Combine(failed, "garbage.mp4.error.json"));
        Assert.Contains("garbage.mp4: not a readable media file", garbageError);
        Assert.Contains("no video stream", await File.ReadAllTextAsync(Path.Combine(failed, "audio-only.mp4.error.json")));
        Assert.Equal(["clip.mkv", "clip.mkv.resshift.json"], WatchFixtures.Files(outbox)); // nothing for the bad ones, no spool left

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("ok", (await http.GetStringAsync($"http://127.0.0.1:{daemon.HttpPort}/healthz")).Trim().ToLowerInvariant().Trim('"'));
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{daemon.HttpPort}/metrics");
        Assert.Matches(@"(?m)^resshift_video_frames_total(\{[^}]*\})? 3$", metrics);
        Assert.Contains("resshift_video_jobs_inflight", metrics);
        using JsonDocument status = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{daemon.HttpPort}/v1/status"));
        Assert.True(status.RootElement.TryGetProperty("videos", out _), status.RootElement.ToString());
        Assert.False(daemon.HasExited);
    }
}
