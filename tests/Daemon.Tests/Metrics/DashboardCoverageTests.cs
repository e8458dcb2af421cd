namespace ResShift.Daemon.Tests.Metrics;

/// <summary>The dashboard and the alert rules against what a real daemon exports after real work.</summary>
public class DashboardCoverageTests(WorkedDaemon daemon) : IClassFixture<WorkedDaemon>
{
    /// <summary>Every metric the dashboard or the rules query must be in the /metrics of a daemon that did work.</summary>
    [Fact]
    public void Every_metric_the_dashboard_and_rules_use_is_exported_by_a_daemon_that_did_work()
    {
        var scrape = daemon.Scrape;

        // The work really shows: one job ok and one failed, tiles through the engine, a stage histogram.
        Assert.Contains(scrape.Samples, s => s.Key.StartsWith("resshift_jobs_total{", StringComparison.Ordinal) && s.Key.Contains("result=\"ok\"") && s.Value >= 1);
        Assert.Contains(scrape.Samples, s => s.Key.StartsWith("resshift_jobs_total{", StringComparison.Ordinal) && s.Key.Contains("result=\"failed\"") && s.Value >= 1);
        Assert.Contains(scrape.Samples, s => s.Key.StartsWith("resshift_tiles_total", StringComparison.Ordinal) && s.Value >= 1);

        var used = DashboardQueries.UsedMetricNames();
        Assert.Contains("resshift_stage_duration_seconds_bucket", used); // the parser found the histogram queries
        var missing = used.Where(n => scrape.FamilyOf(n) is null).ToList();
        Assert.True(missing.Count == 0, "used by deploy/grafana or deploy/prometheus but not exported by a daemon that did work: "
            + string.Join(", ", missing) + "\n--- /metrics ---\n" + daemon.Text);
        Assert.True(daemon.StoppedOnSigterm, "daemon did not stop on SIGTERM");
    }

    /// <summary>
    /// The families of the live exposition (name, type, label names, help, histogram buckets) are exactly those in
    /// the committed list: dashboards and alerts keep working whatever library writes the text. Families declared
    /// without a sample are left out (Prometheus stores nothing for them). After a deliberate change, regenerate the
    /// list with RESSHIFT_WRITE_FAMILIES=1 and review the diff.
    /// </summary>
    [Fact]
    public void The_live_exposition_has_exactly_the_committed_families()
    {
        string committed = Path.Combine(Restore.Repo.Root(), "tests", "Daemon.Tests", "Metrics", "exposition-families.txt");
        string live = ExpositionFamilies.Render(ExpositionFamilies.Parse(daemon.Text));
        if (Environment.GetEnvironmentVariable("RESSHIFT_WRITE_FAMILIES") == "1") File.WriteAllText(committed, live);
        string expected = File.ReadAllText(committed).ReplaceLineEndings("\n");
        Assert.True(expected == live, "live /metrics families differ from " + committed + ":\n"
            + ExpositionFamilies.Diff(expected, live) + "\n--- /metrics ---\n" + daemon.Text);
    }
}
