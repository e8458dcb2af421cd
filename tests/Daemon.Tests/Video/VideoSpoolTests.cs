using ResShift.Daemon.Inputs.Video;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Tests.Video;

/// <summary>Start-up pruning of a watch root's video spool: what belongs to a video still in processing/ stays (it resumes from it), the rest goes.</summary>
public sealed class VideoSpoolTests
{
    [Fact]
    public void Entries_of_inputs_that_left_processing_are_removed_and_the_rest_kept()
    {
        string root = Repo.TempDir();
        string processing = Directory.CreateDirectory(Path.Combine(root, "processing", "sub")).Parent!.FullName;
        File.WriteAllText(Path.Combine(processing, "live.mp4"), "x");
        File.WriteAllText(Path.Combine(processing, "sub", "nested.mov"), "x");
        string spool = Path.Combine(root, VideoJobRunner.SpoolFolder);
        string outside = Directory.CreateDirectory(Path.Combine(root, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "not the spool's");
        string[] kept =
        [
            ".live.mp4.mkv.resshift-segments/segment-00000.mkv", "sub/.nested.mov.mkv.resshift-segments/segment-00000.json", "live.mp4.mkv",
        ];
        string[] gone =
        [
            ".done.mp4.mkv.resshift-segments/segment-00000.mkv", "done.mp4.mkv", "done.mp4.mkv.resshift.json", "done.mp4.mp4",
            "old/.deep.mkv.mkv.resshift-segments/segment-00001.mkv.part",
        ];
        foreach (string f in kept.Concat(gone))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(spool, f))!);
            File.WriteAllText(Path.Combine(spool, f), "x");
        }
        File.CreateSymbolicLink(Path.Combine(spool, ".linked.mp4.mkv.resshift-segments"), outside);

        using RootDirectory r = RootDirectory.Open(root), p = RootDirectory.Open(processing);
        Assert.Equal(6, VideoSpool.Prune(r, p)); // done's folder, three files, old's folder, the link

        foreach (string f in kept) Assert.True(File.Exists(Path.Combine(spool, f)), f);
        foreach (string f in gone) Assert.False(File.Exists(Path.Combine(spool, f)), f);
        Assert.False(Directory.Exists(Path.Combine(spool, "old")), "an emptied subfolder stayed");
        Assert.True(File.Exists(Path.Combine(outside, "keep.txt")), "the link was followed");
        Assert.False(Path.Exists(Path.Combine(spool, ".linked.mp4.mkv.resshift-segments")));
    }
}
