using ResShift.Daemon.Tests.Metrics;
using ResShift.Daemon.Tests.Restore;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>Issue 15, case 16: an inbox-depth gauge labelled by root index, and a stale error file removed after a successful retry.</summary>
public class InboxDepthTests
{
    [Fact]
    public async Task InboxDepthIsExportedPerRootIndexAndAStaleErrorFileGoesAfterASuccessfulRetry()
    {
        string work = Repo.TempDir(), waiting = Path.Combine(work, "waiting"), retried = Path.Combine(work, "retried");
        Directory.CreateDirectory(waiting);
        Directory.CreateDirectory(retried);
        // Root 0: three files that cannot settle within the test (a long settle time; one with a future mtime).
        for (int i = 0; i < 3; i++) WritePng(Path.Combine(waiting, "inbox", $"w{i}.png"), 32, 32, i);
        File.SetLastWriteTimeUtc(Path.Combine(waiting, "inbox", "w0.png"), DateTime.UtcNow.AddDays(1));
        // Root 1: an input an operator moved back from failed/, its old error file still there.
        string error = Path.Combine(retried, "failed", "again.png.error.json");
        Directory.CreateDirectory(Path.GetDirectoryName(error)!);
        File.WriteAllText(error, """{"reason":"an earlier failure"}""");
        File.WriteAllText(Path.Combine(retried, "failed", "other.png.error.json"), """{"reason":"still failed"}""");
        File.WriteAllBytes(Path.Combine(retried, "failed", "other.png"), [1, 2, 3]);
        WritePng(Path.Combine(retried, "inbox", "again.png"), 32, 32, 9);

        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(waiting, settle: 600), DaemonProcess.Root(retried)]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        await WaitUntil(() => File.Exists(Path.Combine(retried, "done", "again.png")) || d.HasExited, TimeSpan.FromSeconds(60), () => "not restored; log:\n" + d.Log());
        Assert.False(File.Exists(error), "the stale error file of a restored input stayed in failed/");
        Assert.True(File.Exists(Path.Combine(retried, "failed", "other.png.error.json")), "an error file beside its original must stay");

        double? Depth(Scrape s, int root) => s.Samples.Where(kv => kv.Key.StartsWith("resshift_inbox_files{", StringComparison.Ordinal) && kv.Key.Contains($"root=\"{root}\""))
            .Select(kv => (double?)kv.Value).FirstOrDefault();
        Scrape scrape = Scrape.Parse(await http.GetStringAsync("/metrics"));
        await WaitUntil(() => { scrape = Scrape.Parse(http.GetStringAsync("/metrics").GetAwaiter().GetResult()); return Depth(scrape, 0) == 3 && Depth(scrape, 1) == 0; },
            TimeSpan.FromSeconds(20), () => string.Join("\n", scrape.Samples.Keys.Where(k => k.Contains("inbox"))));
        Assert.DoesNotContain(scrape.Samples.Keys, k => k.StartsWith("resshift_inbox_files{", StringComparison.Ordinal) && k.Contains(work)); // never a path label
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), d.Log());
        Assert.Equal(0, d.ExitCode);
    }
}
