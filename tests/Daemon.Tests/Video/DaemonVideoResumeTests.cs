using System.Text.Json;
using Xunit.Abstractions;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Video;

/// <summary>
/// Proof item 7 on the daemon: a watch root restores a video in 2-frame segments; the daemon is SIGKILLed once the
/// first segment is committed and others are on their way; restarted, it resumes the video from processing/ without
/// recomputing the committed segments, and the output is byte-identical to an uninterrupted run of the same daemon.
/// </summary>
public sealed class DaemonVideoResumeTests(ITestOutputHelper output)
{
    private const int Frames = 16, PerSegment = 2;

    private static object Root(string root) => new
    {
        Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, LeaseSeconds = 1,
        Video = new { SegmentFrames = PerSegment },
    };

    [Fact]
    public async Task A_video_killed_mid_way_resumes_at_its_first_uncommitted_segment_with_identical_bytes()
    {
        string work = Repo.TempDir();
        string straight = Directory.CreateDirectory(Path.Combine(work, "straight")).FullName;
        string killed = Directory.CreateDirectory(Path.Combine(work, "killed")).FullName;
        string staging = Directory.CreateDirectory(Path.Combine(work, "staging")).FullName;
        string clip = await Clips.MakeAsync(staging, "clip.mkv", frames: Frames);
        object[] roots = [Root(straight), Root(killed)];

        string spool = Path.Combine(killed, ".resshift-video", ".clip.mkv.mkv.resshift-segments");
        using (DaemonProcess daemon = DaemonProcess.Start(work, roots, threads: 1))
        {
            await WatchFixtures.WaitUntil(() => Directory.Exists(Path.Combine(killed, "inbox")) && Directory.Exists(Path.Combine(straight, "inbox")), TimeSpan.FromSeconds(60), daemon.Log);
            File.Copy(clip, Path.Combine(straight, "inbox", "clip.mkv"));
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(straight, "outbox", "clip.mkv.resshift.json")), TimeSpan.FromSeconds(120), daemon.Log);

            File.Copy(clip, Path.Combine(killed, "inbox", "clip.mkv"));
            // Kill as soon as segment 0 is committed (a 5 ms poll: the next segments are on their way).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (!File.Exists(Path.Combine(spool, "segment-00000.json")))
            {
                Assert.True(DateTime.UtcNow < deadline, "segment 0 was never committed: " + daemon.Log() + string.Join(", ", WatchFixtures.Files(killed)));
                Assert.False(daemon.HasExited, daemon.Log());
                await Task.Delay(5);
            }
            daemon.KillHard();
        }
        Assert.True(File.Exists(Path.Combine(killed, "processing", "clip.mkv")), "the killed daemon's claim is not in processing/");
        Assert.False(File.Exists(Path.Combine(killed, "outbox", "clip.mkv")), "a killed run delivered an output");
        int committedAtKill = Directory.EnumerateFiles(spool, "segment-*.json").Count();
        Assert.InRange(committedAtKill, 1, Frames / PerSegment - 1);

        using (DaemonProcess daemon = DaemonProcess.Start(work, roots, threads: 1))
        {
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(killed, "outbox", "clip.mkv.resshift.json")), TimeSpan.FromSeconds(120),
                () => daemon.Log() + string.Join(", ", WatchFixtures.Files(killed)));
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(killed, "done", "clip.mkv")), TimeSpan.FromSeconds(30), daemon.Log);
            Assert.False(daemon.HasExited);
        }

        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(straight, "outbox", "clip.mkv")), await File.ReadAllBytesAsync(Path.Combine(killed, "outbox", "clip.mkv")));
        using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(killed, "outbox", "clip.mkv.resshift.json")));
        int resumed = sidecar.RootElement.GetProperty("video").GetProperty("segments_resumed").GetInt32();
        output.WriteLine($"segments committed at the kill: {committedAtKill} of {Frames / PerSegment}; resumed after the restart: {resumed}");
        Assert.InRange(resumed, committedAtKill, Frames / PerSegment - 1); // every segment committed before the kill was taken, not recomputed
        Assert.Equal(Frames / PerSegment, sidecar.RootElement.GetProperty("video").GetProperty("segments").GetArrayLength());
        Assert.Empty(WatchFixtures.Files(Path.Combine(killed, "processing")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(killed, ".resshift-video")));
        Assert.Equal(["clip.mkv", "clip.mkv.resshift.json"], WatchFixtures.Files(Path.Combine(killed, "outbox")));
    }

    /// <summary>
    /// Issue 24 case 8: a drain (SIGTERM, no budget left) stops a video mid-way and hands it back to inbox/; its
    /// committed segments stay in the spool and the next start resumes them (segments_resumed &gt; 0), as after a SIGKILL.
    /// </summary>
    [Fact]
    public async Task A_video_stopped_by_a_drain_keeps_its_committed_segments_for_the_next_start()
    {
        string work = Repo.TempDir();
        string root = Directory.CreateDirectory(Path.Combine(work, "root")).FullName;
        string clip = await Clips.MakeAsync(Directory.CreateDirectory(Path.Combine(work, "staging")).FullName, "clip.mkv", frames: Frames);
        object[] roots = [Root(root)];
        string spool = Path.Combine(root, ".resshift-video", ".clip.mkv.mkv.resshift-segments");
        int committedAtStop;
        using (DaemonProcess daemon = DaemonProcess.Start(work, roots, threads: 1, drainSeconds: 0))
        {
            await WatchFixtures.WaitUntil(() => Directory.Exists(Path.Combine(root, "inbox")), TimeSpan.FromSeconds(60), daemon.Log);
            File.Copy(clip, Path.Combine(root, "inbox", "clip.mkv"));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (!File.Exists(Path.Combine(spool, "segment-00000.json")))
            {
                Assert.True(DateTime.UtcNow < deadline, "segment 0 was never committed: " + daemon.Log() + string.Join(", ", WatchFixtures.Files(root)));
                Assert.False(daemon.HasExited, daemon.Log());
                await Task.Delay(5);
            }
            Assert.True(daemon.Terminate(TimeSpan.FromSeconds(60)), "the drain did not end: " + daemon.Log());
            Assert.Equal(0, daemon.ExitCode);
        }
        Assert.False(File.Exists(Path.Combine(root, "outbox", "clip.mkv")), "the drained run delivered an output: the test stopped it too late");
        committedAtStop = Directory.EnumerateFiles(spool, "segment-*.json").Count();
        Assert.InRange(committedAtStop, 1, Frames / PerSegment - 1);

        using (DaemonProcess daemon = DaemonProcess.Start(work, roots, threads: 1))
        {
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "outbox", "clip.mkv.resshift.json")), TimeSpan.FromSeconds(180),
                () => daemon.Log() + string.Join(", ", WatchFixtures.Files(root)));
            Assert.False(daemon.HasExited);
        }
        using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(root, "outbox", "clip.mkv.resshift.json")));
        int resumed = sidecar.RootElement.GetProperty("video").GetProperty("segments_resumed").GetInt32();
        output.WriteLine($"segments committed at the drain: {committedAtStop} of {Frames / PerSegment}; resumed after the restart: {resumed}");
        Assert.InRange(resumed, committedAtStop, Frames / PerSegment - 1);
        Assert.Equal(Frames, await Clips.FramesAsync(Path.Combine(root, "outbox", "clip.mkv")));
    }

    /// <summary>
    /// A crash after delivery but before the original reached done/: on restart the video in processing/ is
    /// recognised by its output's sidecar (same input bytes, model, seed, noise) and moved to done/, not restored
    /// again under another name.
    /// </summary>
    [Fact]
    public async Task A_video_delivered_before_a_crash_is_moved_to_done_not_restored_again()
    {
        string work = Repo.TempDir();
        string root = Directory.CreateDirectory(Path.Combine(work, "root")).FullName;
        string clip = await Clips.MakeAsync(Directory.CreateDirectory(Path.Combine(work, "staging")).FullName, "clip.mp4", frames: 4);
        object[] roots = [Root(root)];
        using (DaemonProcess daemon = DaemonProcess.Start(work, roots, threads: 1))
        {
            await WatchFixtures.WaitUntil(() => Directory.Exists(Path.Combine(root, "inbox")), TimeSpan.FromSeconds(60), daemon.Log);
            File.Copy(clip, Path.Combine(root, "inbox", "clip.mp4"));
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "done", "clip.mp4")), TimeSpan.FromSeconds(120), daemon.Log);
        }
        byte[] delivered = await File.ReadAllBytesAsync(Path.Combine(root, "outbox", "clip.mkv"));
        // The state a SIGKILL between delivery and the move to done/ leaves (no claim marker: its owner is gone).
        File.Move(Path.Combine(root, "done", "clip.mp4"), Path.Combine(root, "processing", "clip.mp4"));

        using (DaemonProcess daemon = DaemonProcess.Start(work, roots, threads: 1))
        {
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "done", "clip.mp4")), TimeSpan.FromSeconds(60), daemon.Log);
            // The log is read from the process's output asynchronously: wait for the line, do not sample once.
            await WatchFixtures.WaitUntil(() => daemon.Log().Contains("clip.mp4 was already restored", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
                () => "no 'already restored' line: " + daemon.Log() + string.Join(", ", WatchFixtures.Files(root)));
            Assert.False(daemon.HasExited);
        }
        Assert.Equal(["clip.mkv", "clip.mkv.resshift.json"], WatchFixtures.Files(Path.Combine(root, "outbox")));
        Assert.Equal(delivered, await File.ReadAllBytesAsync(Path.Combine(root, "outbox", "clip.mkv")));
        Assert.Empty(WatchFixtures.Files(Path.Combine(root, "processing")));
    }
}
