using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// Issue 15, case 16: temporary files a SIGKILL leaves mid-write. The daemon holds each output under its temporary
/// name for a while (the RESSHIFT_TEST_HOLD_OUTPUT_MS hook) so the kill lands while the temporary exists.
/// </summary>
public sealed class TemporaryFileTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly Dictionary<string, string> Hold = new() { ["RESSHIFT_TEST_HOLD_OUTPUT_MS"] = "30000" };

    internal static string[] Temporaries(string root) =>
        Directory.EnumerateFiles(root, "*.resshift-tmp", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Temporaries of held outputs (a 64×64 PNG; leases, claim markers and sidecars are far smaller and short-lived).</summary>
    internal static string[] HeldOutputs(string root) => Temporaries(root).Where(t => Size(Path.Combine(root, t)) > 1024).ToArray();

    private static long Size(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task A_queue_output_killed_mid_write_leaves_no_temporary_after_a_restart()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("tmpkill");
        WatchFixtures.WritePng(Path.Combine(root, "in", "a.png"), 16, 16, 1);
        try
        {
            using (var killed = DaemonProcess.Start(work, [], maxJobsInFlight: 2, rabbitMq: [Queue(broker.Uri, queue, root)], threads: 1, configName: "a.json", environment: Hold))
            {
                await WaitReadyAsync(killed, Limit);
                await broker.PublishAsync(queue, Message("a", "in/a.png", "out/a.png"), "a");
                await WatchFixtures.WaitUntil(() => HeldOutputs(root).Length > 0 || killed.HasExited,
                    Limit, () => "the output was never written under a temporary name; log:\n" + killed.Log());
                killed.KillHard();
            }
            Assert.NotEmpty(HeldOutputs(root)); // what the kill left behind

            using var restarted = StartDaemon(work, "b", Queue(broker.Uri, queue, root));
            await WaitReadyAsync(restarted, Limit);
            // The redelivered message completes, and nothing of the killed write is left anywhere under the root.
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "out", "a.png.resshift.json")), Limit, restarted.Log);
            Assert.Empty(Temporaries(root));
            Assert.True(File.Exists(Path.Combine(root, "out", "a.png")));
            Assert.True(restarted.Terminate(TimeSpan.FromSeconds(30)), restarted.Log());
            Assert.Equal(0, restarted.ExitCode);
            Assert.Empty(Temporaries(root));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task A_peer_never_removes_a_live_peers_temporary_and_removes_a_killed_peers()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        Directory.CreateDirectory(Path.Combine(root, "inbox"));
        object watch = new { Root = root, Model = "tiny-x4", SettleSeconds = 0.2, PollMilliseconds = 100, LeaseSeconds = 3 };
        using var a = DaemonProcess.Start(work, [watch], maxJobsInFlight: 2, configName: "a.json", environment: Hold);
        WatchFixtures.WritePng(Path.Combine(root, "inbox", "a.png"), 16, 16, 1);
        await WatchFixtures.WaitUntil(() => HeldOutputs(root).Length > 0 || a.HasExited,
            Limit, () => "A never wrote its output under a temporary name; log:\n" + a.Log());
        string[] held = HeldOutputs(root);

        // B starts on the same root while A is mid-write: A's temporary is a live peer's and stays.
        using var b = DaemonProcess.Start(work, [watch], maxJobsInFlight: 2, configName: "b.json");
        await WaitReadyAsync(b, Limit);
        await Task.Delay(TimeSpan.FromSeconds(2)); // B's periodic sweeps (every second with a 3 s lease) run meanwhile
        Assert.Equal(held, HeldOutputs(root));

        // A dies by SIGKILL mid-write: B removes what it left, and takes a.png over once A's lease has expired.
        a.KillHard();
        await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(root, "done", "a.png")), Limit, () => "B never took a.png over; log:\n" + b.Log());
        await WatchFixtures.WaitUntil(() => Temporaries(root).Length == 0, Limit, () => $"left: {string.Join(", ", Temporaries(root))}; log:\n{b.Log()}");
        Assert.True(File.Exists(Path.Combine(root, "outbox", "a.png.resshift.json")), b.Log());
        Assert.True(b.Terminate(TimeSpan.FromSeconds(30)), b.Log());
        Assert.Equal(0, b.ExitCode);
    }
}
