using System.Net.Http;
using ResShift.Daemon.Cli;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Systemd;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>The daemon as systemd and an operator see it: configuration errors, sd_notify, HTTP while draining.</summary>
public class ServeHostTests
{
    [Fact]
    public async Task InvalidConfigurationIsRefusedWithEveryProblemNamed()
    {
        string dir = Repo.TempDir(), config = Path.Combine(dir, "bad.json");
        File.WriteAllText(config, """
            { "MaxBatch": 0, "Http": "nonsense",
              "Watch": [ { "Root": "/tmp/a", "Model": "no-such-model" }, { "Root": "/tmp/a/b", "Model": "tiny-x4", "NoiseScale": 2 } ] }
            """);
        var err = new StringWriter();
        int code = await ResShiftCli.RunAsync(["serve", "--config", config, "--models-dir", Repo.Engines], new StringWriter(), err);
        Assert.Equal(ExitCodes.Usage, code);
        string text = err.ToString();
        Assert.Contains("MaxBatch must be >= 1", text);
        Assert.Contains("Http must be HOST:PORT", text);
        Assert.Contains("unknown model 'no-such-model'", text);
        Assert.Contains("nested", text);
        Assert.Contains("NoiseScale must be in [0, 1]", text);

        Assert.Equal(ExitCodes.Usage, await ResShiftCli.RunAsync(["serve", "--models-dir", Repo.Engines], new StringWriter(), err));
        Assert.Contains("no input configured", err.ToString());
        Assert.Equal(ExitCodes.SomeFailed, await ResShiftCli.RunAsync(["serve", "--config", Path.Combine(dir, "missing.json")], new StringWriter(), err));
    }

    [Fact]
    public async Task RealDaemonNotifiesSystemdFeedsTheWatchdogAndStopsCleanly()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        using var listener = NotifyListener.AtPath();
        for (int i = 0; i < 6; i++) WritePng(Path.Combine(root, "inbox", $"n{i}.png"), 16, 16, i);
        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)], maxJobsInFlight: 1, environment: new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = listener.NotifySocket,
            ["WATCHDOG_USEC"] = "400000",
        });
        var seen = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(seen.Contains("READY=1") && seen.Contains("WATCHDOG=1") && seen.Any(m => m.StartsWith("STATUS=serving", StringComparison.Ordinal))))
        {
            Assert.True(DateTime.UtcNow < deadline, "missing notifications; got: " + string.Join(" | ", seen) + "\n" + d.Log());
            if (listener.Receive(TimeSpan.FromMilliseconds(500)) is { } m) seen.AddRange(m.Split('\n'));
        }
        Assert.Contains(seen, m => m.StartsWith("STATUS=loading", StringComparison.Ordinal));
        Assert.True(seen.IndexOf("READY=1") > seen.FindIndex(m => m.StartsWith("STATUS=loading", StringComparison.Ordinal)));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}") };
        Assert.Equal("ok", (await http.GetStringAsync("/healthz")).Trim());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);

        // SIGTERM: STOPPING=1 arrives and the process exits 0 after draining.
        _ = d.Terminate(TimeSpan.Zero);
        string? stopping = null;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (stopping is null && DateTime.UtcNow < until)
            if (listener.Receive(TimeSpan.FromMilliseconds(500)) is { } m && m.Contains("STOPPING=1")) stopping = m;
        Assert.NotNull(stopping);
        Assert.True(d.HasExited || await Wait(() => d.HasExited, 60), d.Log());
        Assert.Equal(0, d.ExitCode);
    }

    private static async Task<bool> Wait(Func<bool> c, int seconds)
    {
        for (int i = 0; i < seconds * 10 && !c(); i++) await Task.Delay(100);
        return c();
    }
}
