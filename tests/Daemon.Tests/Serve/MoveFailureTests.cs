using System.Diagnostics;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>
/// A move the daemon cannot make (a destination subfolder it may not write) is logged and never strands a file
/// silently: the job lands in failed/ with a reason, or, when failed/ itself refuses it, the log says where it stays.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class MoveFailureTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task UnwritableDestinationsAreLoggedAndNeverStrandAFileSilently()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), inbox = Path.Combine(root, "inbox"), failed = Path.Combine(root, "failed");
        // done/locked refuses the good file's original; failed/refused refuses the bad file's.
        string lockedDone = Path.Combine(root, "done", "locked"), lockedFailed = Path.Combine(failed, "refused");
        Directory.CreateDirectory(lockedDone);
        Directory.CreateDirectory(lockedFailed);
        WritePng(Path.Combine(inbox, "locked", "good.png"), 16, 16, 7);
        Directory.CreateDirectory(Path.Combine(inbox, "refused"));
        File.WriteAllText(Path.Combine(inbox, "refused", "letter.png"), "not a picture");
        ReadOnly(lockedDone, true);
        ReadOnly(lockedFailed, true);
        try
        {
            Assert.False(CanWrite(lockedDone), "could not make a folder unwritable here (chmod and chattr both ineffective)");
            using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)]);

            // The restored file whose original cannot go to done/: failed/ with a reason that says so.
            string error = Path.Combine(failed, "locked", "good.png.error.json");
            await WaitUntil(() => File.Exists(error), Phase, () => $"good.png never reached failed/; log:\n{d.Log()}");
            Assert.True(File.Exists(Path.Combine(failed, "locked", "good.png")), "the original is not in failed/");
            Assert.True(File.Exists(Path.Combine(root, "outbox", "locked", "good.png")), "the restored output is gone");
            using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(error)))
                Assert.Contains("done/", doc.RootElement.GetProperty("reason").GetString());

            // The undecodable file that failed/ refuses: it stays in processing/, and the log says so, naming it.
            string stranded = Path.Combine(root, "processing", "refused", "letter.png");
            await WaitUntil(() => d.Log().Contains("refused/letter.png stays in processing/"), Phase,
                () => $"no log line for the file failed/ refused (in processing: {File.Exists(stranded)}); log:\n{d.Log()}");
            Assert.True(File.Exists(stranded), "the original vanished");
            Assert.Contains("could not move refused/letter.png to failed/", d.Log());

            // Still serving.
            WritePng(Path.Combine(inbox, "later.png"), 8, 8, 3);
            await WaitUntil(() => File.Exists(Path.Combine(root, "done", "later.png")), Phase, d.Log);
            Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), d.Log());
            Assert.Equal(0, d.ExitCode);
        }
        finally
        {
            ReadOnly(lockedDone, false);
            ReadOnly(lockedFailed, false);
        }
    }

    /// <summary>chmod stops an ordinary user; root ignores modes, so as root the immutable attribute is set too.</summary>
    private static void ReadOnly(string dir, bool on)
    {
        bool root = Environment.UserName == "root";
        if (root && !on) Run("chattr", ["-i", dir]); // an immutable folder's mode cannot be changed either
        File.SetUnixFileMode(dir, on ? UnixFileMode.UserRead | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (root && on) Run("chattr", ["+i", dir]);
    }

    private static bool CanWrite(string dir)
    {
        string probe = Path.Combine(dir, ".probe");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    private static void Run(string file, string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit(10_000);
    }
}
