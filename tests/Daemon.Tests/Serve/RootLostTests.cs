using System.Net;
using ResShift.Daemon.Tests.Restore;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>
/// A watch root that disappears after start (issue 15, case 10 at runtime): /readyz says so with the reason, the
/// intake keeps retrying with backoff instead of dying, takes work again once the root is back, and SIGTERM exits 0.
/// </summary>
public class RootLostTests
{
    [Fact]
    public async Task AVanishedRootIsReportedThroughReadyzAndTheIntakeRecoversWhenItReturns()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), moved = Path.Combine(work, "root.moved");
        Directory.CreateDirectory(root);
        using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, LeaseSeconds = 3 }]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}"), Timeout = TimeSpan.FromSeconds(5) };
        async Task<(HttpStatusCode, string)> Ready()
        {
            try
            {
                using HttpResponseMessage r = await http.GetAsync("/readyz");
                return (r.StatusCode, await r.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException)
            {
                return (0, "");
            }
        }
        (HttpStatusCode, string) last = default;
        async Task<bool> Is(HttpStatusCode code) => (last = await Ready()).Item1 == code || d.HasExited;
        async Task WaitFor(HttpStatusCode code, string what)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!await Is(code))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: /readyz {last.Item1} {last.Item2}\n{d.Log()}");
                await Task.Delay(100);
            }
            Assert.False(d.HasExited, d.Log());
        }

        await WaitFor(HttpStatusCode.OK, "never ready");
        Directory.Move(root, moved); // the root vanishes from its path (the daemon's handles now point elsewhere)
        await WaitFor(HttpStatusCode.ServiceUnavailable, "a vanished root was not reported");
        Assert.Contains("gone", last.Item2);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(d.HasExited, d.Log());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Ready()).Item1);

        Directory.Move(moved, root);
        await WaitFor(HttpStatusCode.OK, "never ready again after the root came back");
        WritePng(Path.Combine(root, "inbox", "back.png"), 64, 64, 7);
        await WaitUntil(() => File.Exists(Path.Combine(root, "done", "back.png")) || d.HasExited, TimeSpan.FromSeconds(60),
            () => "the intake did not take work again; log:\n" + d.Log());
        Assert.True(File.Exists(Path.Combine(root, "outbox", "back.png.resshift.json")), d.Log());

        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), d.Log());
        Assert.Equal(0, d.ExitCode);
        Assert.Contains("gone or was replaced", d.Log());
    }

    [Fact]
    public async Task ARootThatCannotBeOpenedAtStartIsReportedAndRetriedUntilItCan()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "processing"), "a file where processing/ belongs"); // passes the start-up checks, breaks the intake
        using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100 }]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{d.HttpPort}"), Timeout = TimeSpan.FromSeconds(5) };
        string body = "";
        async Task<HttpStatusCode?> Ready()
        {
            try
            {
                using HttpResponseMessage r = await http.GetAsync("/readyz");
                body = await r.Content.ReadAsStringAsync();
                return r.StatusCode;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }
        await WaitUntil(() => d.Log().Contains("cannot start watching") || d.HasExited, TimeSpan.FromSeconds(60), () => "no report; log:\n" + d.Log());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await Ready());
        Assert.Contains("cannot start watching", body);
        Assert.False(d.HasExited, d.Log());

        File.Delete(Path.Combine(root, "processing"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await Ready() != HttpStatusCode.OK && !d.HasExited)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never ready once the root could be opened: {body}\n{d.Log()}");
            await Task.Delay(100);
        }
        WritePng(Path.Combine(root, "inbox", "late.png"), 64, 64, 3);
        await WaitUntil(() => File.Exists(Path.Combine(root, "done", "late.png")) || d.HasExited, TimeSpan.FromSeconds(60), () => "not restored; log:\n" + d.Log());
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), d.Log());
        Assert.Equal(0, d.ExitCode);
    }
}
