using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// What a watch root must not collect (issue 15, case 16 and the takeover leftover): inbox sub-folders emptied by
/// claims go after a grace period (the inbox itself and a folder with anything in it stay), processing/ and .claims/
/// sub-folders go with their last job, and a <c>.taking</c> file of a daemon killed mid-takeover is removed at start
/// while a live taker's stays.
/// </summary>
public sealed class LeftoverTests
{
    private static readonly EnumerationOptions All = new() { RecurseSubdirectories = true, AttributesToSkip = 0 };

    [Fact]
    public async Task Emptied_folders_and_a_dead_takers_takeover_file_are_removed_and_nothing_else()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), inbox = Path.Combine(root, "inbox");
        WatchFixtures.WritePng(Path.Combine(inbox, "a", "b", "x.png"), 16, 16, 1);
        WatchFixtures.WritePng(Path.Combine(inbox, "c", "y.png"), 16, 16, 2);
        Directory.CreateDirectory(Path.Combine(inbox, "upload"));
        File.WriteAllText(Path.Combine(inbox, "upload", "z.png.part"), "still uploading"); // a name never taken: the folder is not empty

        // A takeover a killed daemon left (its id has no lease), and one a live daemon is doing right now.
        string claims = Directory.CreateDirectory(Path.Combine(root, ".claims", "old")).FullName;
        string dead = Path.Combine(claims, "p.png.owner.deadhost-41-20260101T000000-0badf00d.taking");
        string live = Path.Combine(claims, "q.png.owner.livehost-42-20260101T000000-600dcafe.taking");
        File.WriteAllText(dead, "someone-else");
        File.WriteAllText(live, "someone-else");
        Directory.CreateDirectory(Path.Combine(root, ".owners"));
        // The live taker refreshes its lease as a daemon does (an expiry far beyond the lease would not be believed).
        using var taker = new CancellationTokenSource();
        Task refresh = RefreshLeaseAsync(Path.Combine(root, ".owners", "livehost-42-20260101T000000-600dcafe.lease"), "livehost-42-20260101T000000-600dcafe", taker.Token);

        try
        {
            // Settle 0.2 s: the grace for an empty folder is its floor, 5 s.
            using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100 }]);
            await WatchFixtures.WaitUntil(() => (File.Exists(Path.Combine(root, "done", "a", "b", "x.png")) && File.Exists(Path.Combine(root, "done", "c", "y.png"))) || d.HasExited,
                TimeSpan.FromSeconds(60), () => "not restored; log:\n" + d.Log());
            Assert.False(File.Exists(dead), "the takeover file of a dead daemon stayed");
            Assert.True(File.Exists(live), "a live daemon's takeover in progress was removed");

            string[] Folders(string under) => Directory.Exists(under) ? Directory.GetDirectories(under, "*", All).Select(f => Path.GetRelativePath(root, f)).Order().ToArray() : [];
            await WatchFixtures.WaitUntil(() => Folders(inbox).SequenceEqual(["inbox/upload"]) && Folders(Path.Combine(root, "processing")).Length == 0,
                TimeSpan.FromSeconds(30), () => $"left: {string.Join(", ", Folders(inbox).Concat(Folders(Path.Combine(root, "processing"))))}; log:\n{d.Log()}");
            Assert.Equal(["old"], Directory.GetDirectories(Path.Combine(root, ".claims")).Select(Path.GetFileName)); // a/b and c went with their markers
            Assert.True(Directory.Exists(inbox));
            Assert.True(File.Exists(Path.Combine(inbox, "upload", "z.png.part")));
            Assert.True(File.Exists(Path.Combine(root, "outbox", "a", "b", "x.png.resshift.json"))); // results keep their folders
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)), d.Log());
            Assert.Equal(0, d.ExitCode);
        }
        finally
        {
            await taker.CancelAsync();
            await refresh;
        }
    }

    /// <summary>Rewrites a lease every second with an expiry 30 s ahead (LeaseSeconds' default), as its live daemon would.</summary>
    private static async Task RefreshLeaseAsync(string path, string owner, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            string temp = path + ".test-tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(new { owner, expires = DateTime.UtcNow.AddSeconds(30) }));
            File.Move(temp, path, overwrite: true);
            try
            {
                await Task.Delay(1000, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
