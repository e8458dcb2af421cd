using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Video;

/// <summary>
/// Issue 24 case 3 in a watch root: the daemon's video spool is reached only through handles that refuse links. A
/// link planted inside <c>.resshift-video/</c> (where a nested input's spool goes) is refused, with the reason in
/// failed/, and nothing is written where it points; a spool folder this service did not make is refused too.
/// </summary>
public sealed class SpoolLinkTests
{
    [Fact]
    public async Task A_link_inside_the_video_spool_is_refused_and_nothing_is_written_outside_the_root()
    {
        string work = Repo.TempDir(), root = Directory.CreateDirectory(Path.Combine(work, "root")).FullName;
        string outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        string clip = await Clips.MakeAsync(Directory.CreateDirectory(Path.Combine(work, "staging")).FullName, "clip.mkv", frames: 4);
        Directory.CreateDirectory(Path.Combine(root, ".resshift-video"));
        File.CreateSymbolicLink(Path.Combine(root, ".resshift-video", "sub"), outside);
        // A folder where a spool goes, not made by the daemon (no mark): not written into either.
        string planted = Directory.CreateDirectory(Path.Combine(root, ".resshift-video", ".other.mkv.mkv.resshift-segments")).FullName;

        // In the inbox before the start: the start-up prune keeps the spool entries of inputs waiting there.
        string inbox = Directory.CreateDirectory(Path.Combine(root, "inbox", "sub")).Parent!.FullName;
        File.Copy(clip, Path.Combine(inbox, "sub", "clip.mkv"));
        File.Copy(clip, Path.Combine(inbox, "other.mkv"));
        using DaemonProcess daemon = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, Video = new { SegmentFrames = 2 } }], threads: 1);

        string error = Path.Combine(root, "failed", "sub", "clip.mkv.error.json"), otherError = Path.Combine(root, "failed", "other.mkv.error.json");
        await WatchFixtures.WaitUntil(() => (File.Exists(error) && File.Exists(otherError)) || Directory.EnumerateFileSystemEntries(outside).Any(), TimeSpan.FromSeconds(300),
            () => daemon.Log() + string.Join(", ", WatchFixtures.Files(root)));

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Contains("spool", await File.ReadAllTextAsync(error));
        Assert.Contains("not made by this service", await File.ReadAllTextAsync(otherError));
        Assert.Empty(Directory.EnumerateFileSystemEntries(planted));
        Assert.True(File.Exists(Path.Combine(root, "failed", "sub", "clip.mkv")), "the original is not kept");
        Assert.Empty(WatchFixtures.Files(Path.Combine(root, "outbox")));
        Assert.False(daemon.HasExited, daemon.Log());
    }
}
