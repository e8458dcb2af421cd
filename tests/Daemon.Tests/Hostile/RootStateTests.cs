using System.Net;
using System.Text.Json;
using ResShift.Daemon.Tests.Metrics;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// The state a watch root keeps for its daemons (leases in .owners/, claim markers in .claims/) planted by someone
/// who can write the root (issue 24, cases 2 and 10), against one real daemon (LeaseSeconds 3: it looks for orphans
/// every second), each case in its own watch root: a lease claiming a far future, a lease too large or a FIFO, and a
/// link under .claims/ never stop the root from claiming or resuming; a lease nobody has written for long is pruned.
/// </summary>
public sealed class RootStateTests(RootStateTests.Root root) : IClassFixture<RootStateTests.Root>
{
    /// <summary>One daemon watching one root per case (a case that breaks its root on old code leaves the others alone).</summary>
    public sealed class Root : IDisposable
    {
        public static readonly string[] Cases = ["ghost", "big", "fifo", "link", "prune"];
        public string Work { get; } = Repo.TempDir();
        public string Outside => System.IO.Path.Combine(Work, "outside");
        internal DaemonProcess Daemon { get; }

        public Root()
        {
            foreach (string c in Cases) Directory.CreateDirectory(System.IO.Path.Combine(Work, c, "inbox"));
            Directory.CreateDirectory(System.IO.Path.Combine(Outside, "deeper"));
            File.WriteAllText(System.IO.Path.Combine(Outside, "x.png.owner"), "ghost");
            File.WriteAllText(System.IO.Path.Combine(Outside, "deeper", "y.png.owner"), "ghost");
            Daemon = DaemonProcess.Start(Work, Cases.Select(c => (object)new { Root = System.IO.Path.Combine(Work, c), Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, LeaseSeconds = 3 }),
                maxJobsInFlight: 2);
        }

        /// <summary>A path under the root of <paramref name="parts"/>[0] (the case's name).</summary>
        public string At(params string[] parts) => System.IO.Path.Combine([Work, .. parts]);

        public Task WaitFor(Func<bool> condition, string what, int seconds = 120) =>
            WaitUntil(() => condition() || Daemon.HasExited, TimeSpan.FromSeconds(seconds), () => what + "; daemon log:\n" + Daemon.Log());

        public async Task<HttpStatusCode> ReadyAsync()
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using HttpResponseMessage r = await http.GetAsync($"http://127.0.0.1:{Daemon.HttpPort}/readyz");
            return r.StatusCode;
        }

        public async Task<double> IgnoredAsync(string reason)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var scrape = Scrape.Parse(await http.GetStringAsync($"http://127.0.0.1:{Daemon.HttpPort}/metrics"));
            return scrape.Samples.Where(s => s.Key.StartsWith("resshift_watch_state_ignored_total{", StringComparison.Ordinal)
                && s.Key.Contains($"reason=\"{reason}\"", StringComparison.Ordinal)).Sum(s => s.Value);
        }

        public void Dispose() => Daemon.Dispose();
    }

    /// <summary>
    /// A claim as a dead or forged owner leaves it: the marker first, then the file in processing/ (resumed) or inbox/
    /// (a marker for a file not in processing/, which must not keep the name busy).
    /// </summary>
    private void PlantClaims(string folder, string owner, int seed)
    {
        foreach (string name in new[] { "held.png", "in.png" })
        {
            Directory.CreateDirectory(root.At(folder, ".claims", folder));
            File.WriteAllText(root.At(folder, ".claims", folder, name + ".owner"), owner);
        }
        WritePng(root.At(folder, "processing", folder, "held.png"), 16, 16, seed);
        WritePng(root.At(folder, "inbox", folder, "in.png"), 16, 16, seed + 1);
    }

    private Task BothDone(string folder) => root.WaitFor(
        () => File.Exists(root.At(folder, "done", folder, "held.png")) && File.Exists(root.At(folder, "done", folder, "in.png")),
        $"{folder}/held.png (in processing/) and {folder}/in.png (in inbox/) were not both restored");

    private static void Lease(string path, string owner, DateTime expires) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new { owner, pid = 1, host = "elsewhere", expires }));

    [Fact]
    public async Task A_lease_claiming_the_far_future_is_not_believed_and_is_logged_once()
    {
        Directory.CreateDirectory(root.At("ghost", ".owners"));
        File.WriteAllText(root.At("ghost", ".owners", "ghost.lease"), """{"owner":"ghost","expires":"2099-01-01T00:00:00Z"}""");
        PlantClaims("ghost", "ghost", 10);

        await BothDone("ghost");
        string log = root.Daemon.Log();
        Assert.Contains("took over ghost/held.png from ghost", log);
        // Read for both claims (and more than once): said once.
        string line = Assert.Single(log.Split('\n'), l => l.Contains("ignoring .owners/ghost.lease", StringComparison.Ordinal));
        Assert.Contains("not believed", line);
        Assert.True(await root.IgnoredAsync("too_far_ahead") >= 1);
        Assert.False(File.Exists(root.At("ghost", ".claims", "ghost", "in.png.owner")), "the ghost's marker outlived the claim");
    }

    [Fact]
    public async Task A_lease_too_large_to_be_one_does_not_stop_the_root()
    {
        Directory.CreateDirectory(root.At("big", ".owners"));
        File.WriteAllText(root.At("big", ".owners", "big.lease"), "{\"owner\":\"big\",\"expires\":\"2099-01-01T00:00:00Z\",\"pad\":\"" + new string('x', 5000) + "\"}");
        PlantClaims("big", "big", 20);

        await BothDone("big");
        Assert.Contains(root.Daemon.Log().Split('\n'), l => l.Contains("ignoring .owners/big.lease", StringComparison.Ordinal) && l.Contains("larger than 4096 bytes", StringComparison.Ordinal));
        Assert.DoesNotContain("scan failed", root.Daemon.Log());
        Assert.Equal(HttpStatusCode.OK, await root.ReadyAsync());
        Assert.True(await root.IgnoredAsync("too_large") >= 1);
    }

    [Fact]
    public async Task A_fifo_lease_is_never_read_and_does_not_stop_the_root()
    {
        Directory.CreateDirectory(root.At("fifo", ".owners"));
        HostileWriterTests.MkFifo(root.At("fifo", ".owners", "fifo.lease"));
        PlantClaims("fifo", "fifo", 30);

        await BothDone("fifo");
        Assert.Contains(root.Daemon.Log().Split('\n'), l => l.Contains("ignoring .owners/fifo.lease", StringComparison.Ordinal) && l.Contains("not a regular file", StringComparison.Ordinal));
        Assert.DoesNotContain("scan failed", root.Daemon.Log());
        Assert.Equal(HttpStatusCode.OK, await root.ReadyAsync());
        Assert.True(await root.IgnoredAsync("not_regular") >= 1);
    }

    [Fact]
    public async Task A_link_under_claims_is_not_followed_and_orphans_are_still_resumed()
    {
        string[] outside = Files(root.Outside);
        Directory.CreateDirectory(root.At("link", ".claims"));
        File.CreateSymbolicLink(root.At("link", ".claims", "evil"), root.Outside);
        // A claim of a daemon whose lease has expired: resumed only if the sweep of .claims/ gets past the link.
        Directory.CreateDirectory(root.At("link", ".owners"));
        Lease(root.At("link", ".owners", "dead-link.lease"), "dead-link", DateTime.UtcNow.AddMinutes(-1));
        PlantClaims("link", "dead-link", 40);

        await BothDone("link");
        await root.WaitFor(() => root.Daemon.Log().Contains("ignoring .claims/evil", StringComparison.Ordinal), "the link was never reported");
        Assert.DoesNotContain("evil/", root.Daemon.Log()); // nothing below the link was ever named
        Assert.DoesNotContain("scan failed", root.Daemon.Log());
        Assert.Equal(outside, Files(root.Outside)); // what the link pointed at is untouched
        Assert.Equal("ghost", File.ReadAllText(Path.Combine(root.Outside, "x.png.owner")));
        Assert.True(await root.IgnoredAsync("link") >= 1);
        Assert.Equal(HttpStatusCode.OK, await root.ReadyAsync());
    }

    [Fact]
    public async Task Leases_of_daemons_long_dead_are_pruned_and_recent_ones_kept()
    {
        Directory.CreateDirectory(root.At("prune", ".owners"));
        string old = root.At("prune", ".owners", "killed-long-ago.lease"), recent = root.At("prune", ".owners", "killed-just-now.lease");
        Lease(old, "killed-long-ago", DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2)); // last refreshed two hours ago, then SIGKILLed
        Lease(recent, "killed-just-now", DateTime.UtcNow.AddMinutes(-1));

        await root.WaitFor(() => !File.Exists(old), "the lease of a daemon dead for two hours is still there");
        Assert.True(File.Exists(recent), "a lease expired a minute ago was pruned (a peer may still be resuming from it)");
        Assert.Contains("leases of daemons that are gone", root.Daemon.Log());
    }
}
