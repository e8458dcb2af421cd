using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Systemd;

/// <summary>The watchdog as systemd sees it from the real `resshift serve` process.</summary>
public partial class WatchdogDaemonTests
{
    private const int StallSeconds = 2;
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(StallSeconds + 3);

    /// <summary>
    /// Defect 6: after a quiet period longer than StallSeconds, the first job must not start out "stalled"
    /// (WATCHDOG=1 withheld from the moment it is claimed). Pings every 10 ms so that even a short false
    /// stall shows in the log. A busy machine may really take longer than StallSeconds for a batch; then
    /// the stall the daemon reports must be measured from when the work arrived, never include the quiet time.
    /// </summary>
    [Fact]
    public async Task AfterAQuietPeriodLongerThanTheStallLimitNewWorkKeepsTheWatchdogFed()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        Directory.CreateDirectory(Path.Combine(root, "inbox"));
        using var listener = NotifyListener.AtPath();
        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root, settle: 0.1, pollMs: 50)], stallSeconds: StallSeconds,
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = listener.NotifySocket, ["WATCHDOG_USEC"] = "20000" });

        var ready = Stopwatch.StartNew();
        while (listener.Receive(TimeSpan.FromMilliseconds(500)) is not "READY=1")
            Assert.True(ready.Elapsed < TimeSpan.FromSeconds(90) && !d.HasExited, "no READY=1\n" + d.Log());

        // Quiet for longer than the stall limit: an idle daemon keeps pinging.
        Assert.Contains("WATCHDOG=1", listener.Collect(Quiet));

        for (int i = 0; i < 3; i++) WritePng(Path.Combine(root, "inbox", $"q{i}.png"), 48, 48, i);
        int pings = 0;
        var clock = Stopwatch.StartNew();
        while (Files(Path.Combine(root, "done")).Length < 3)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "jobs not done within 60 s\n" + d.Log());
            if (listener.Receive(TimeSpan.FromMilliseconds(50)) == "WATCHDOG=1") pings++;
        }

        string log = d.Log();
        Assert.True(pings > 0, "no WATCHDOG=1 while the jobs ran\n" + log);
        foreach (Match stall in StallLine().Matches(log))
        {
            TimeSpan measured = TimeSpan.Parse(stall.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(measured < Quiet, $"the stall clock counted the quiet time ({measured} without progress)\n" + log);
        }
        Assert.Equal(3, Files(Path.Combine(root, "outbox"), "*.png").Length);
    }

    [GeneratedRegex(@"Pipeline stalled: work pending and no progress for (\d\d:\d\d:\d\d(?:\.\d+)?)")]
    private static partial Regex StallLine();
}
