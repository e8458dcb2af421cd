using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>The real daemon's log: quiet under Prometheus scrapes, and one JSON object per line for log shippers.</summary>
public class ServeLoggingTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ScrapesAddNoRequestLinesAndTheDaemonsOwnLinesStay()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        WritePng(Path.Combine(root, "inbox", "one.png"), 16, 16, 1);
        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)]);
        await WaitUntil(() => File.Exists(Path.Combine(root, "done", "one.png")) || d.HasExited, Phase, d.Log);
        Assert.False(d.HasExited, "the daemon exited:\n" + d.Log());
        await ScrapeAsync(d, times: 5);
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), d.Log());
        Assert.Equal(0, d.ExitCode);

        string log = d.Log();
        Assert.DoesNotContain("Microsoft.AspNetCore", log);     // Request starting/finished, Executing/Executed endpoint, ...
        Assert.DoesNotContain("/metrics", log);
        Assert.Contains("restored one.png", log);               // the daemon's own lines are kept
        Assert.Contains("draining", log);
    }

    [Fact]
    public async Task LogFormatJsonWritesOneObjectPerLine()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        WritePng(Path.Combine(root, "inbox", "one.png"), 16, 16, 2);
        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)], arguments: ["--log-format", "json"]);
        await WaitUntil(() => File.Exists(Path.Combine(root, "done", "one.png")) || d.HasExited, Phase, d.Log);
        Assert.False(d.HasExited, "the daemon exited:\n" + d.Log());
        await ScrapeAsync(d, times: 2);
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), d.Log());
        Assert.Equal(0, d.ExitCode);

        string[] lines = d.Log().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var messages = new List<(string Category, string Level, string Message)>();
        foreach (string line in lines)
        {
            JsonElement e;
            try
            {
                e = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException x)
            {
                throw new Xunit.Sdk.XunitException($"not one JSON object per line ({x.Message}): {line}\n--- whole log:\n{d.Log()}");
            }
            Assert.Equal(JsonValueKind.Object, e.ValueKind);
            messages.Add((e.GetProperty("Category").GetString()!, e.GetProperty("LogLevel").GetString()!, e.GetProperty("Message").GetString()!));
            Assert.True(DateTimeOffset.TryParse(e.GetProperty("Timestamp").GetString(), out _), line);
        }
        Assert.Contains(messages, m => m.Category.EndsWith("FolderIntake", StringComparison.Ordinal) && m.Level == "Information" && m.Message.Contains("restored one.png"));
        Assert.Contains(messages, m => m.Message.Contains("draining"));
    }

    private static async Task ScrapeAsync(DaemonProcess d, int times)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < times; i++)
        {
            string body = await http.GetStringAsync($"http://127.0.0.1:{d.HttpPort}/metrics");
            Assert.Contains("resshift_build_info", body);
        }
        // No wait here: the callers read the log after the daemon exited, and check that its "draining" line, logged
        // after the scrapes through the same console queue, is there; anything the scrapes logged comes before it.
    }
}
