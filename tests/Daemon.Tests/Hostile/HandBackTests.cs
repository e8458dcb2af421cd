using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>Case 1: a job handed back at the end of the drain, into an inbox folder the writer has swapped for a link to outside.</summary>
public sealed class HandBackTests
{
    [Fact]
    public async Task Case1_a_hand_back_through_a_folder_swapped_for_a_symlink_stays_inside_the_root()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        string sub = Path.Combine(root, "inbox", "sub");
        WritePng(Path.Combine(sub, "slow.png"), 320, 320, 5); // runs well past the 1 s drain budget
        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)], maxJobsInFlight: 1, drainSeconds: 1);
        await WaitUntil(() => File.Exists(Path.Combine(root, "processing", "sub", "slow.png")), TimeSpan.FromSeconds(120), d.Log);
        await Task.Delay(500); // loading started

        _ = d.Terminate(TimeSpan.Zero);
        await WaitUntil(() => d.Log().Contains("draining: intake stopped", StringComparison.Ordinal), TimeSpan.FromSeconds(30), d.Log);
        // Intake has stopped scanning: the writer swaps the folder the job will be handed back into.
        Directory.Move(sub, Path.Combine(root, "inbox", "sub.old"));
        Directory.CreateSymbolicLink(sub, outside);
        // The log is read asynchronously: its last line, not the exit, says everything has been written.
        await WaitUntil(() => d.HasExited && d.Log().Contains("stopped:", StringComparison.Ordinal), TimeSpan.FromSeconds(60), d.Log);

        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.True(File.Exists(Path.Combine(root, "processing", "sub", "slow.png")), "the original left processing/ without a safe place to go:\n" + d.Log());
        Assert.Contains("could not hand sub/slow.png back to inbox", d.Log());
    }
}
