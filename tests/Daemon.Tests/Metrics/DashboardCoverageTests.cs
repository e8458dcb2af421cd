using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>The dashboard and the alert rules against what a real daemon exports after real work.</summary>
public class DashboardCoverageTests
{
    /// <summary>
    /// The real `resshift serve` with tiny-x4 restores one image and fails one undecodable file; every metric the
    /// dashboard or the rules query must then be in its /metrics (nothing recorded by hand in the test process).
    /// </summary>
    [Fact]
    public async Task Every_metric_the_dashboard_and_rules_use_is_exported_by_a_daemon_that_did_work()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root, settle: 0.1, pollMs: 50)]);
        WritePng(Path.Combine(root, "inbox", "good.png"), 48, 40, 1);
        File.WriteAllBytes(Path.Combine(root, "inbox", "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 1, 2, 3]);
        await WaitUntil(() => Files(Path.Combine(root, "done")).Contains("good.png") && Files(Path.Combine(root, "failed")).Contains("broken.png"),
            TimeSpan.FromSeconds(90), () => $"done: [{string.Join(", ", Files(Path.Combine(root, "done")))}], failed: [{string.Join(", ", Files(Path.Combine(root, "failed")))}]\n{d.Log()}");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        string text = await http.GetStringAsync("/metrics");
        var scrape = Scrape.Parse(text);

        // The work really shows: one job ok and one failed, tiles through the engine, a stage histogram.
        Assert.Contains(scrape.Samples, s => s.Key.StartsWith("resshift_jobs_total{", StringComparison.Ordinal) && s.Key.Contains("result=\"ok\"") && s.Value >= 1);
        Assert.Contains(scrape.Samples, s => s.Key.StartsWith("resshift_jobs_total{", StringComparison.Ordinal) && s.Key.Contains("result=\"failed\"") && s.Value >= 1);
        Assert.Contains(scrape.Samples, s => s.Key.StartsWith("resshift_tiles_total", StringComparison.Ordinal) && s.Value >= 1);

        var used = DashboardQueries.UsedMetricNames();
        Assert.Contains("resshift_stage_duration_seconds_bucket", used); // the parser found the histogram queries
        var missing = used.Where(n => scrape.FamilyOf(n) is null).ToList();
        Assert.True(missing.Count == 0, "used by deploy/grafana or deploy/prometheus but not exported by a daemon that did work: "
            + string.Join(", ", missing) + "\n--- /metrics ---\n" + text);
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), "daemon did not stop on SIGTERM");
    }
}
