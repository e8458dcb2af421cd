using System.Text;
using System.Text.Json;
using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// The sidecar beside an existing output (<c>OUTPUT.resshift.json</c>) is a file anyone who can write the roots can
/// forge: the "already done" rule, "replace" and watch-root resumption read it only through the root handles, as a
/// regular file within a small limit, and a sidecar that cannot be read so counts as no sidecar (the job then follows
/// the normal rules for an existing output: refused in a queue, a free name in a watch root).
/// </summary>
public sealed class SidecarTrustTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(180);
    private const long RssGrowthLimit = 400L << 20;

    [Fact]
    public async Task Queue_output_sidecars_that_are_fifos_devices_huge_or_links_outside_are_no_proof_of_a_finished_job()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        string queue = TestBroker.UniqueQueue("sidecars");
        string inDir = Path.Combine(root, "in"), outDir = Directory.CreateDirectory(Path.Combine(root, "out")).FullName;
        WatchFixtures.WritePng(Path.Combine(inDir, "a.png"), 8, 8, 1);
        try
        {
            using var d = StartDaemon(work, "sidecars", Queue(broker.Uri, queue, root, deliveryLimit: 2), threads: 2);
            await WaitReadyAsync(d, Phase);

            // A real output and sidecar for in/a.png, and a copy of that sidecar outside the roots.
            await broker.PublishAsync(queue, Message("good", "in/a.png", "out/good.png"), "good");
            await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(outDir, "good.png.resshift.json")), Phase, d.Log);
            byte[] realSidecar = File.ReadAllBytes(Path.Combine(outDir, "good.png.resshift.json"));
            File.WriteAllBytes(Path.Combine(outside, "copy.json"), realSidecar);
            long rssBefore = d.ResidentBytes();

            // Each output exists (so the rule reads its sidecar); each sidecar is hostile.
            foreach (string name in new[] { "fifo1", "fifo2", "zero", "sparse", "link" })
                File.WriteAllText(Path.Combine(outDir, name + ".png"), "not ours\n!"); // 10 bytes of text
            HostileWriterTests.MkFifo(Path.Combine(outDir, "fifo1.png.resshift.json"));
            HostileWriterTests.MkFifo(Path.Combine(outDir, "fifo2.png.resshift.json"));
            File.CreateSymbolicLink(Path.Combine(outDir, "zero.png.resshift.json"), "/dev/zero");
            using (var sparse = File.Create(Path.Combine(outDir, "sparse.png.resshift.json"))) sparse.SetLength(1536L << 20);
            File.CreateSymbolicLink(Path.Combine(outDir, "link.png.resshift.json"), Path.Combine(outside, "copy.json"));

            // Two FIFOs (more than the pipeline slots with threads 2 would hold if they hung), then the others, then one
            // that must still be processed after all of them.
            await broker.PublishAsync(queue, Message("fifo1", "in/a.png", "out/fifo1.png"), "fifo1");
            await broker.PublishAsync(queue, Message("fifo2", "in/a.png", "out/fifo2.png"), "fifo2");
            await broker.PublishAsync(queue, Replace(Message("zero", "in/a.png", "out/zero.png")), "zero");
            await broker.PublishAsync(queue, Replace(Message("sparse", "in/a.png", "out/sparse.png")), "sparse");
            await broker.PublishAsync(queue, Replace(Message("link", "in/a.png", "out/link.png")), "link");
            await broker.PublishAsync(queue, Message("after", "in/a.png", "out/after.png"), "after");

            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            string[] refused = ["fifo1", "fifo2", "zero", "sparse", "link"];
            await WatchFixtures.WaitUntil(() =>
            {
                dead.AddRange(broker.DrainAsync(queue + ".dead").GetAwaiter().GetResult());
                return refused.All(id => dead.Any(x => x.Props.MessageId == id)) && File.Exists(Path.Combine(outDir, "after.png.resshift.json"));
            }, Phase, () => $"{dead.Count} dead letters: {string.Join(", ", dead.Select(x => x.Props.MessageId))}; log:\n{d.Log()}");

            // The normal rules for an existing output without a (readable) sidecar of ours: not replaced, not acked as done.
            Assert.Contains("exists; it is not replaced", Reason(dead, "fifo1"));
            Assert.Contains("exists; it is not replaced", Reason(dead, "fifo2"));
            foreach (string id in new[] { "zero", "sparse", "link" }) Assert.Contains("has no resshift sidecar", Reason(dead, id));
            foreach (string id in refused) Assert.Equal("not ours\n!", File.ReadAllText(Path.Combine(outDir, id + ".png")));
            Assert.Equal(realSidecar, File.ReadAllBytes(Path.Combine(outside, "copy.json")));
            long growth = d.ResidentBytes() - rssBefore;
            Assert.True(growth < RssGrowthLimit, $"resident memory grew by {growth >> 20} MiB reading hostile sidecars");
            Assert.True(await ReadyAsync(d));

            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), "no exit after SIGTERM:\n" + d.Log());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30 + 15), $"exit took {clock.Elapsed.TotalSeconds:F0} s (drain budget 30 s)");
            Assert.Equal(0, d.ExitCode);
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task Watch_root_resumption_with_a_fifo_sidecar_beside_the_output_restores_the_input_and_keeps_the_root_moving()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        string processing = Path.Combine(root, "processing"), inbox = Path.Combine(root, "inbox"), done = Path.Combine(root, "done"), outbox = Path.Combine(root, "outbox");
        // As a crash could leave it, but with a FIFO where the sidecar would be: the input claimed, an output there.
        WatchFixtures.WritePng(Path.Combine(processing, "r.png"), 8, 8, 5);
        Directory.CreateDirectory(outbox);
        File.WriteAllText(Path.Combine(outbox, "r.png"), "not ours\n!");
        HostileWriterTests.MkFifo(Path.Combine(outbox, "r.png.resshift.json"));

        using var d = DaemonProcess.Start(work, [DaemonProcess.Root(root)], maxJobsInFlight: 4, drainSeconds: 5);
        // The root keeps claiming: a later inbox file is restored too.
        await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(done, "r.png")) || d.HasExited, Phase, () => "the resumed job never finished; log:\n" + d.Log());
        WatchFixtures.WritePng(Path.Combine(inbox, "next.png"), 8, 8, 6);
        await WatchFixtures.WaitUntil(() => File.Exists(Path.Combine(done, "next.png")) || d.HasExited, Phase, () => "a later inbox file was never restored; log:\n" + d.Log());
        Assert.False(d.HasExited, d.Log());

        // No valid sidecar, so the job ran; the existing file was kept and the result took a free name with its own sidecar.
        Assert.Equal("not ours\n!", File.ReadAllText(Path.Combine(outbox, "r.png")));
        string[] restored = Directory.GetFiles(outbox, "r-*.png");
        string produced = Assert.Single(restored);
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(produced + ".resshift.json")))
            Assert.Equal("r.png", doc.RootElement.GetProperty("input").GetProperty("name").GetString());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(d.Terminate(TimeSpan.FromSeconds(60)), "no exit after SIGTERM:\n" + d.Log());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5 + 15), $"exit took {clock.Elapsed.TotalSeconds:F0} s (drain budget 5 s)");
        Assert.Equal(0, d.ExitCode);
    }

    private static byte[] Replace(byte[] message)
    {
        var o = JsonSerializer.Deserialize<Dictionary<string, object?>>(message)!;
        o["replace"] = true;
        return JsonSerializer.SerializeToUtf8Bytes(o);
    }

    private static string Reason(List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)> dead, string id)
    {
        var (_, props) = Assert.Single(dead, x => x.Props.MessageId == id);
        return TestBroker.Header(props, "x-resshift-error") ?? "";
    }
}
