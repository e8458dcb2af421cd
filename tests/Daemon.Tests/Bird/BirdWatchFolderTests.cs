using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using Xunit.Abstractions;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>The real daemon with a BIRD watch root: per-root task, progress in /v1/status and /metrics, outputs.</summary>
public sealed class BirdWatchFolderTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_bird_root_restores_with_its_task_and_reports_iterations_and_loss()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        Directory.CreateDirectory(Path.Combine(root, "inbox"));
        string staged = BirdInputs.PhotoCrop(work, 32, "face.png");
        object watch = new { Root = root, Model = "bird-tiny", Task = "deblur", Iterations = 40, CheckpointEvery = 5, SettleSeconds = 0.2, PollMilliseconds = 100, Seed = 4 };
        using var d = DaemonProcess.Start(work, [watch], threads: 1);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}"), Timeout = TimeSpan.FromSeconds(5) };
        File.Move(staged, Path.Combine(root, "inbox", "face.png"));

        // Mid-run: /v1/status lists the job with its iteration and loss.
        JsonElement job = default;
        await WaitUntil(() =>
        {
            try
            {
                using var status = JsonDocument.Parse(http.GetStringAsync("/v1/status").Result);
                foreach (JsonProperty p in status.RootElement.EnumerateObject())
                    if (p.NameEquals("bird") && p.Value.GetArrayLength() > 0) { job = p.Value[0].Clone(); return true; }
            }
            catch (Exception e) when (e is AggregateException or HttpRequestException or JsonException) { }
            return d.HasExited || File.Exists(Path.Combine(root, "done", "face.png"));
        }, TimeSpan.FromSeconds(90), d.Log);
        Assert.True(job.ValueKind == JsonValueKind.Object, "the running BIRD job never appeared in /v1/status\n" + d.Log());
        output.WriteLine("status: " + job.GetRawText());
        Assert.Equal("face.png", job.GetProperty("name").GetString());
        Assert.Equal("deblur", job.GetProperty("task").GetString());
        Assert.Equal(40, job.GetProperty("iterations").GetInt32());
        Assert.True(job.GetProperty("loss").GetDouble() > 0);

        await WaitUntil(() => File.Exists(Path.Combine(root, "done", "face.png")) || d.HasExited, TimeSpan.FromSeconds(120), d.Log);
        string metrics = await http.GetStringAsync("/metrics");
        string line = metrics.Split('\n').First(l => l.StartsWith("resshift_bird_iterations_total{", StringComparison.Ordinal));
        output.WriteLine(line);
        Assert.Contains("task=\"deblur\"", line);
        Assert.Equal(40, double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(File.Exists(Path.Combine(root, "outbox", "face.png")));
        Assert.True(File.Exists(Path.Combine(root, "outbox", "face.kernel.png")));
        using var sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "outbox", "face.png.resshift.json")));
        Assert.Equal("deblur", sidecar.RootElement.GetProperty("bird").GetProperty("task").GetString());
        Assert.Equal(40, sidecar.RootElement.GetProperty("bird").GetProperty("losses").GetArrayLength());
        Assert.Empty(Files(Path.Combine(root, "outbox"), "*.bird-checkpoint"));
        Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
    }
}
