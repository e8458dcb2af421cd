using ResShift.Daemon.Tests.Metrics;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// Issue 15, case 16: an inbox with 20 000 files that have not settled (a long settle time, some with an mtime in the
/// future) must not keep the daemon busy re-reading them: its CPU time, read from /proc/PID/stat, over 5 s.
/// </summary>
public sealed class ScannerLoadTests
{
    private const int Files = 20_000;

    [Fact]
    public async Task Twenty_thousand_unsettled_files_cost_under_5_percent_of_a_core()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), inbox = Path.Combine(root, "inbox");
        for (int b = 0; b < 4; b++) Directory.CreateDirectory(Path.Combine(inbox, $"batch{b}"));
        byte[] content = new byte[16];
        for (int i = 0; i < Files; i++)
        {
            string path = Path.Combine(inbox, i % 2 == 0 ? "" : $"batch{i % 8 / 2}", $"f{i:D5}.png");
            File.WriteAllBytes(path, content);
            if (i % 100 == 0) File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddDays(1)); // a writer's clock ahead
        }
        // The default poll (500 ms) and a settle time nothing reaches during the test.
        using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-x4", SettleSeconds = 600 }]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        string seen = "";
        await WatchFixtures.WaitUntil(() =>
        {
            try
            {
                Scrape s = Scrape.Parse(http.GetStringAsync("/metrics").GetAwaiter().GetResult());
                seen = string.Join(", ", s.Samples.Where(kv => kv.Key.StartsWith("resshift_inbox_files{", StringComparison.Ordinal)).Select(kv => $"{kv.Key}={kv.Value}"));
                return s.Samples.Any(kv => kv.Key.StartsWith("resshift_inbox_files{", StringComparison.Ordinal) && kv.Value == Files) || d.HasExited;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), () => $"the scanner never saw all {Files} files ({seen}); log:\n{d.Log()}");
        await Task.Delay(TimeSpan.FromSeconds(1)); // past start-up work (JIT, the first scans)

        TimeSpan window = TimeSpan.FromSeconds(5);
        double before = CpuSeconds(d.Pid);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(window);
        double share = (CpuSeconds(d.Pid) - before) / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"scanner load: {share:P1} of a core with {Files} unsettled files");
        Assert.False(d.HasExited, d.Log());
        Assert.True(share < 0.05, $"the daemon used {share:P1} of a core over {window.TotalSeconds} s with {Files} unsettled files in inbox");
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "processing"), "*", SearchOption.AllDirectories)); // none settled, none claimed
        Assert.True(d.Terminate(TimeSpan.FromSeconds(30)), d.Log());
        Assert.Equal(0, d.ExitCode);
    }

    /// <summary>utime + stime of a process (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s).</summary>
    internal static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11]) + long.Parse(f[12])) / 100.0;
    }
}
