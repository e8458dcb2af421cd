using System.Diagnostics;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using Xunit.Abstractions;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>Jobs left in processing/ by a crash: resumed like scanned ones, and a SIGTERM during resumption is honoured.</summary>
public class CrashResumeTests(ITestOutputHelper output)
{
    private const int Jobs = 16, DrainSeconds = 3;

    // After the drain budget, running jobs are cancelled and get a 10 s grace to hand back; a little more for the host to stop.
    private static readonly TimeSpan ExitBudget = TimeSpan.FromSeconds(DrainSeconds + 10 + 5);

    [Fact]
    public async Task ResumedJobsRunConcurrentlyAndSigtermDuringResumeExitsWithinTheDrainBudget()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        string processing = Path.Combine(root, "processing"), inbox = Path.Combine(root, "inbox"), done = Path.Combine(root, "done"), outbox = Path.Combine(root, "outbox");
        // As a crash leaves them: claimed (in processing/), no output yet. 320x320 at tile 64 / overlap 16: 49 tiles each, so
        // even a fast machine cannot finish them all between the first two starting and the SIGTERM.
        var originals = new Dictionary<string, byte[]>();
        for (int i = 0; i < Jobs; i++)
        {
            string rel = i % 3 == 0 ? Path.Combine("sub", $"r{i:D2}.png") : $"r{i:D2}.png";
            WritePng(Path.Combine(processing, rel), 320, 320, 100 + i);
            originals[rel] = File.ReadAllBytes(Path.Combine(processing, rel));
        }

        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)], maxJobsInFlight: 4, drainSeconds: DrainSeconds);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitUntil(() => d.Log().Contains($"resuming {Jobs} jobs") || d.HasExited, TimeSpan.FromSeconds(120), () => "resumption never began; log:\n" + d.Log());
        Assert.False(d.HasExited, d.Log());
        // Serial resumption (one job awaited after another) never has two in flight; claimed like scanned files, four can be.
        int inFlight = 0, peak = 0;
        var watch = Stopwatch.StartNew();
        while (peak < 2 && watch.Elapsed < TimeSpan.FromSeconds(15) && !d.HasExited)
        {
            inFlight = InFlightJobs(http, d.HttpPort);
            peak = Math.Max(peak, inFlight);
            await Task.Delay(100);
        }
        output.WriteLine($"peak {peak} resumed jobs in flight at once; {Files(done).Length} done before SIGTERM");

        var clock = Stopwatch.StartNew();
        bool exited = d.Terminate(ExitBudget + TimeSpan.FromSeconds(60)); // wait longer than the budget, to report by how much it was missed
        clock.Stop();
        output.WriteLine($"exit {clock.Elapsed.TotalSeconds:F1} s after SIGTERM (budget {ExitBudget.TotalSeconds} s)");
        Assert.True(exited, $"still running {clock.Elapsed.TotalSeconds:F0} s after SIGTERM:\n{d.Log()}");
        Assert.True(clock.Elapsed <= ExitBudget, $"exited {clock.Elapsed.TotalSeconds:F1} s after SIGTERM; the drain allows {ExitBudget.TotalSeconds} s:\n{d.Log()}");
        Assert.Equal(0, d.ExitCode);
        Assert.True(peak >= 2, $"resumed jobs never ran concurrently (peak in flight {peak}):\n{d.Log()}");

        // Nothing lost: every original is in exactly one place, unchanged; done ones have their output, the others none.
        int finished = 0;
        foreach (var (rel, bytes) in originals)
        {
            string[] places = new[] { done, inbox, processing }.Where(f => File.Exists(Path.Combine(f, rel))).ToArray();
            Assert.True(places.Length == 1, $"{rel} is in {places.Length} places ({string.Join(", ", places)}):\n{d.Log()}");
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(places[0], rel)));
            bool restored = File.Exists(Path.Combine(outbox, rel)) && File.Exists(Path.Combine(outbox, rel + ".resshift.json"));
            if (places[0] == done)
            {
                Assert.True(restored, $"{rel} is in done/ without its output and sidecar");
                finished++;
            }
        }
        Assert.Empty(Files(Path.Combine(root, "failed")));
        Assert.Empty(Files(root, "*.resshift-tmp"));
        Assert.True(finished < Jobs, "every job finished before the SIGTERM took effect: the test proves nothing about the drain");
        output.WriteLine($"{finished} done, {Files(inbox).Length} back in inbox, {Files(processing).Length} left in processing/");
    }

    private static int InFlightJobs(HttpClient http, int port)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(http.GetStringAsync($"http://127.0.0.1:{port}/v1/status").GetAwaiter().GetResult());
            return doc.RootElement.GetProperty("in_flight_jobs").GetInt32();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            return 0; // not listening yet
        }
    }
}
