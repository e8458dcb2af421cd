using System.Diagnostics;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>Runs only as root, which may mount a small tmpfs to fill (skipped, and shown as skipped, otherwise).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0"))
            Skip = "needs root to mount a tmpfs it can fill";
    }
}

/// <summary>Case 11: a watch root whose disk is full. The job is handed back and retried with a growing pause, never failed.</summary>
public sealed class DiskFullTests
{
    [RootFact]
    public async Task Case11_a_full_disk_is_waited_out_and_the_input_is_restored_once_there_is_room()
    {
        string work = Repo.TempDir(), root = Directory.CreateDirectory(Path.Combine(work, "root")).FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", root);
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "inbox"));
            WritePng(Path.Combine(root, "staging", "in.png"), 16, 16, 4);
            using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)], maxJobsInFlight: 1);
            await WaitUntil(() => d.Log().Contains("watching", StringComparison.Ordinal), TimeSpan.FromSeconds(120), d.Log);

            string filler = Path.Combine(root, "filler");
            using (var f = new FileStream(filler, FileMode.Create))
            {
                var block = new byte[4096];
                try { while (true) f.Write(block); }
                catch (IOException) { } // full
                try { f.Flush(); } catch (IOException) { }
            }
            File.Move(Path.Combine(root, "staging", "in.png"), Path.Combine(root, "inbox", "in.png")); // a rename needs no room

            await WaitUntil(() => Count(d.Log(), "disk full") >= 2, TimeSpan.FromSeconds(60), d.Log);
            Assert.False(File.Exists(Path.Combine(root, "failed", "in.png")), "a full disk failed the input:\n" + d.Log());
            Assert.False(File.Exists(Path.Combine(root, "outbox", "in.png")), "an output appeared on a full disk");

            File.Delete(filler);
            await WaitUntil(() => File.Exists(Path.Combine(root, "done", "in.png")), TimeSpan.FromSeconds(120), d.Log);
            Assert.True(File.Exists(Path.Combine(root, "outbox", "in.png.resshift.json")));
            Assert.Empty(Files(Path.Combine(root, "failed")));
        }
        finally
        {
            Run("umount", "-l", root);
        }
    }

    private static int Count(string text, string what) => text.Split(what).Length - 1;

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })!;
        Assert.True(p.WaitForExit(20_000), $"{file} hung");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }
}
