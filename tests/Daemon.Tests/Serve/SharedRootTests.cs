using Microsoft.Extensions.Configuration;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using Xunit.Abstractions;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;
using ResShift.Daemon.Configuration;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>
/// Several daemons on one watch root (issue 15, case 9): claims carry their owner and lease, so a (re)starting
/// daemon never redoes a live peer's claims, and a SIGKILLed peer's claims are taken over once its lease expires.
/// </summary>
public class SharedRootTests(ITestOutputHelper output)
{
    private const int Jobs = 8;
    private const double LeaseSeconds = 3;

    [Fact]
    public async Task ARestartedPeerLeavesLiveClaimsAloneAndTakesOverADeadPeersAfterItsLease()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        string inbox = Path.Combine(root, "inbox"), processing = Path.Combine(root, "processing"), done = Path.Combine(root, "done");
        string outbox = Path.Combine(root, "outbox"), owners = Path.Combine(root, ".owners");
        Directory.CreateDirectory(root);
        for (int i = 0; i < Jobs; i++) WritePng(Path.Combine(inbox, $"s{i:D2}.png"), 160, 160, 300 + i);
        object Watch() => new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, LeaseSeconds };
        string Dir(string name) { string d = Path.Combine(work, name); Directory.CreateDirectory(d); return d; }

        // One job at a time each (claims: 2), so the inbox lasts through both restarts of the peer.
        using var a = DaemonProcess.Start(Dir("a"), [Watch()], maxJobsInFlight: 1);
        await WaitUntil(() => Files(processing).Length > 0 || a.HasExited, TimeSpan.FromSeconds(60), () => "A never claimed; log:\n" + a.Log());
        string aId = LeaseOf(owners, a.Pid);

        var b = DaemonProcess.Start(Dir("b1"), [Watch()], maxJobsInFlight: 1);
        var peers = new List<DaemonProcess> { b };
        int lastPid;
        try
        {
            await WaitUntil(() => b.Log().Contains("watching") || b.HasExited, TimeSpan.FromSeconds(60), () => "B never started; log:\n" + b.Log());
            await WaitUntil(() => b.Log().Contains(": restored ") || Files(inbox).Length == 0, TimeSpan.FromSeconds(60), () => "B restored nothing; log:\n" + b.Log());
            // Restart B while A holds claims: the new B must find them owned by a live daemon.
            string[] aHeld = Files(processing);
            Assert.NotEmpty(aHeld);
            Assert.True(b.Terminate(TimeSpan.FromSeconds(60)), b.Log());
            Assert.Equal(0, b.ExitCode);
            b = DaemonProcess.Start(Dir("b2"), [Watch()], maxJobsInFlight: 1);
            peers.Add(b);
            await WaitUntil(() => b.Log().Contains("watching") || b.HasExited, TimeSpan.FromSeconds(60), () => "B never restarted; log:\n" + b.Log());
            Assert.False(b.HasExited, b.Log());
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.DoesNotContain("took over", b.Log());
            Assert.DoesNotContain("resuming", b.Log());

            // SIGKILL A with claims in processing/: B takes them over, but only once A's lease has expired.
            await WaitUntil(() => Files(processing).Any(f => OwnerOf(root, f) == aId) || Files(inbox).Length == 0, TimeSpan.FromSeconds(60),
                () => "A held nothing to take over");
            a.KillHard();
            string[] orphans = Files(processing).Where(f => OwnerOf(root, f) == aId).ToArray();
            Assert.NotEmpty(orphans);
            DateTime expires = Expiry(Path.Combine(owners, aId + ".lease"));
            while (DateTime.UtcNow < expires - TimeSpan.FromMilliseconds(300))
            {
                Assert.DoesNotContain("took over", b.Log());
                await Task.Delay(50);
            }
            await WaitUntil(() => b.Log().Contains("took over") || b.HasExited, TimeSpan.FromSeconds(LeaseSeconds * 3),
                () => "A's claims were never taken over; log:\n" + b.Log());
            await WaitUntil(() => Files(done).Length == Jobs || b.HasExited, TimeSpan.FromSeconds(120), () => "not all done; log:\n" + b.Log());
            lastPid = b.Pid;
            Assert.True(b.Terminate(TimeSpan.FromSeconds(60)), b.Log());
            output.WriteLine($"A held {aHeld.Length} at B's restart, {orphans.Length} when killed; lease expired {expires:HH:mm:ss.fff}");
        }
        finally
        {
            foreach (DaemonProcess p in peers) p.Dispose();
        }

        // Every input computed once: A's killed jobs never logged "restored", so the logs together say each name exactly once.
        string[] restored = new[] { a.LogPath }.Concat(peers.Select(p => p.LogPath))
            .SelectMany(File.ReadAllLines).Where(l => l.Contains(": restored ")).ToArray();
        output.WriteLine($"{restored.Length} restored lines over 3 daemons");
        Assert.Equal(Enumerable.Range(0, Jobs).Select(i => $"s{i:D2}.png"), Files(done));
        Assert.Equal(Jobs, Files(outbox, "*.png").Length); // no photo-2.png: nothing computed twice
        Assert.Equal(Jobs, restored.Length);
        Assert.Empty(Files(Path.Combine(root, "failed")));
        Assert.Empty(Files(processing));
        Assert.Empty(Files(Path.Combine(root, ".claims"))); // every marker removed with its claim
        Assert.DoesNotContain(Files(owners), f => f.Contains($"-{lastPid}-", StringComparison.Ordinal)); // a clean stop retires the lease
    }

    [Fact]
    public void LeaseSecondsBindsPerRootDefaultsTo30AndMustBeAtLeastOne()
    {
        string root = Repo.TempDir();
        var settings = new ResShift.Daemon.Configuration.ServeSettings();
        new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{ "Watch": [ { "Root": "{{root}}/a", "LeaseSeconds": 0.5 }, { "Root": "{{root}}/b" } ] }""")))
            .Build().Bind(settings);
        Assert.Equal(0.5, settings.Watch[0].LeaseSeconds);
        Assert.Equal(30, settings.Watch[1].LeaseSeconds);
        var problems = settings.Problems(ResShift.Pipeline.Models.ModelRegistry.Discover(Repo.Engines));
        Assert.Contains(problems, p => p.Contains($"{root}/a") && p.Contains("LeaseSeconds must be >= 1"));
        Assert.DoesNotContain(problems, p => p.Contains($"{root}/b"));
    }

    private static string LeaseOf(string owners, int pid)
    {
        foreach (string f in Files(owners, "*.lease"))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(owners, f)));
            if (doc.RootElement.GetProperty("pid").GetInt32() == pid) return doc.RootElement.GetProperty("owner").GetString()!;
        }
        throw new InvalidOperationException($"no lease for pid {pid} in {owners}");
    }

    private static DateTime Expiry(string lease)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(lease));
        return doc.RootElement.GetProperty("expires").GetDateTime().ToUniversalTime();
    }

    private static string? OwnerOf(string root, string rel)
    {
        try { return File.ReadAllText(Path.Combine(root, ".claims", rel + ".owner")).Trim(); }
        catch (IOException) { return null; }
    }
}
