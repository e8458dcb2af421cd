using System.Diagnostics;
using System.Net;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// Issue 15, case 10 at runtime: outbox/ made read-only while the daemon runs (as nobody, so permissions bind even
/// when the suite runs as root). /readyz turns 503 with the reason, the job waits (handed back to inbox, never
/// failed), the daemon recovers once the permissions are back, and SIGTERM exits 0 (it once died with an unhandled
/// UnauthorizedAccessException, exit 134).
/// </summary>
public sealed class UnwritableOutboxTests
{
    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task An_outbox_made_read_only_at_runtime_makes_the_daemon_not_ready_and_loses_nothing()
    {
        // As root, the daemon runs as nobody from a copy that user can reach (OtherUser: the checkout may sit under a
        // 0700 folder), in a work folder it can enter, on a root it owns.
        StagedDaemon? other = OtherUser.IsRoot() ? OtherUser.Daemon() : null;
        string work = other?.TempDir() ?? Repo.TempDir(), root = Path.Combine(work, "root"), inbox = Path.Combine(root, "inbox"), outbox = Path.Combine(root, "outbox");
        foreach (string sub in new[] { "inbox", "processing", "done", "failed", "outbox", "review" }) Directory.CreateDirectory(Path.Combine(root, sub));
        if (other is not null) OtherUser.Run("chown", "-R", $"{OtherUser.Nobody}:{OtherUser.Nobody}", root);
        var env = new Dictionary<string, string> { ["HOME"] = work, ["DOTNET_CLI_HOME"] = work };
        using var d = DaemonProcess.Start(work, [new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100 }], environment: env, prefix: other?.Prefix, staged: other);
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
        async Task WaitReady(HttpStatusCode code, string what)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (await Ready() != code && !d.HasExited)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: /readyz {body}\n{d.Log()}");
                await Task.Delay(100);
            }
            Assert.False(d.HasExited, d.Log());
        }

        await WaitReady(HttpStatusCode.OK, "never ready");
        Drop(Path.Combine(inbox, "first.png"), 1);
        await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "done", "first.png")) || d.HasExited, TimeSpan.FromSeconds(60), () => "not restored; log:\n" + d.Log());

        File.SetUnixFileMode(outbox, (UnixFileMode)0b101_101_101); // r-x: nothing can be placed in it any more
        Drop(Path.Combine(inbox, "second.png"), 2);
        await WaitReady(HttpStatusCode.ServiceUnavailable, "an unwritable outbox was not reported");
        Assert.Contains("cannot be written", body);
        // The attempt's outcome is logged (a positive signal instead of a 3 s sleep): handed back to inbox, not failed.
        // (The next attempt waits for the claim pause, which grows; the recovery below is the retry that counts.)
        await WatchFixtures.WaitUntil(() => HandedBack(d.Log(), "second.png") >= 1 || d.HasExited, TimeSpan.FromSeconds(60), () => "never handed back; log:\n" + d.Log());
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "failed")));
        Assert.True(File.Exists(Path.Combine(inbox, "second.png")) || File.Exists(Path.Combine(root, "processing", "second.png")), d.Log());

        File.SetUnixFileMode(outbox, (UnixFileMode)0b111_101_101);
        await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "done", "second.png")) || d.HasExited, TimeSpan.FromSeconds(60), () => "not restored after the permissions came back; log:\n" + d.Log());
        await WaitReady(HttpStatusCode.OK, "not ready again after the permissions came back");
        Assert.True(File.Exists(Path.Combine(outbox, "second.png.resshift.json")));
        Assert.True(d.Terminate(TimeSpan.FromSeconds(30)), d.Log());
        Assert.Equal(0, d.ExitCode);
        Assert.DoesNotContain("Unhandled exception", d.Log());
    }

    private static int HandedBack(string log, string name) =>
        log.Split('\n').Count(l => l.Contains($"handed {name} back to inbox", StringComparison.Ordinal));

    /// <summary>Written by the test's user (0644: readable by the daemon, which only renames it within folders it owns).</summary>
    private static void Drop(string path, int seed) => WatchFixtures.WritePng(path, 16, 16, seed);
}
