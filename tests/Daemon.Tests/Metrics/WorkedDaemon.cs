using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Metrics;

/// <summary>
/// The real `resshift serve` with tiny-x4 after real work: it restores one image and fails one undecodable file,
/// then its /metrics is read once (nothing recorded by hand in the test process) and the daemon is stopped.
/// </summary>
public sealed class WorkedDaemon : IAsyncLifetime
{
    public string Text { get; private set; } = "";
    internal Scrape Scrape { get; private set; } = new();
    public bool StoppedOnSigterm { get; private set; }

    public async Task InitializeAsync()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root, settle: 0.1, pollMs: 50)]);
        WritePng(Path.Combine(root, "inbox", "good.png"), 48, 40, 1);
        File.WriteAllBytes(Path.Combine(root, "inbox", "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 1, 2, 3]);
        await WaitUntil(() => Files(Path.Combine(root, "done")).Contains("good.png") && Files(Path.Combine(root, "failed")).Contains("broken.png"),
            TimeSpan.FromSeconds(90), () => $"done: [{string.Join(", ", Files(Path.Combine(root, "done")))}], failed: [{string.Join(", ", Files(Path.Combine(root, "failed")))}]\n{d.Log()}");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Text = await http.GetStringAsync("/metrics");
        Scrape = Scrape.Parse(Text);
        StoppedOnSigterm = d.Terminate(TimeSpan.FromSeconds(60));
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
