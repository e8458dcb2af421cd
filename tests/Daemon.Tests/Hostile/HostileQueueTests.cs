using System.Text;
using System.Text.Json;
using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.Hostile;

/// <summary>
/// What someone who can publish to the job queue can try, against the real daemon and the real broker, in one
/// daemon run: overwrite images inside the roots (4), stall a slot with a FIFO (7), and swap the output folder
/// for a link to outside the roots after the message was accepted (3).
/// </summary>
public sealed class HostileQueueTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Case3_4_7_queue_jobs_never_overwrite_never_block_and_never_write_outside_the_roots()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        string queue = TestBroker.UniqueQueue("hostile");
        string inDir = Path.Combine(root, "in");
        WatchFixtures.WritePng(Path.Combine(inDir, "a.png"), 8, 8, 1);
        WatchFixtures.WritePng(Path.Combine(inDir, "victim.png"), 8, 8, 2);
        WatchFixtures.WritePng(Path.Combine(inDir, "slow.png"), 192, 192, 3);
        byte[] victim = File.ReadAllBytes(Path.Combine(inDir, "victim.png"));
        HostileWriterTests.MkFifo(Path.Combine(inDir, "pipe.png"));
        try
        {
            using var d = StartDaemon(work, "hostile", Queue(broker.Uri, queue, root, deliveryLimit: 2), threads: 2);
            await WaitReadyAsync(d, Phase);

            // 4: an existing image as the output, with and without "replace" (it has no sidecar: not ours either way).
            await broker.PublishAsync(queue, Message("victim", "in/a.png", "in/victim.png"), "victim");
            await broker.PublishAsync(queue, Replace(Message("victim-replace", "in/a.png", "in/victim.png")), "victim-replace");
            // 7: a FIFO as the input, twice as many as the pipeline has slots.
            for (int i = 0; i < 8; i++) await broker.PublishAsync(queue, Message($"fifo{i}", "in/pipe.png", $"out/fifo{i}.png"), $"fifo{i}");
            await broker.PublishAsync(queue, Message("good", "in/a.png", "out/good.png"), "good");

            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            await WatchFixtures.WaitUntil(() =>
            {
                dead.AddRange(broker.DrainAsync(queue + ".dead").GetAwaiter().GetResult());
                return dead.Count >= 10 && File.Exists(Path.Combine(root, "out", "good.png.resshift.json"));
            }, Phase, () => $"{dead.Count} dead letters: {string.Join(", ", dead.Select(x => x.Props.MessageId))}; log:\n{d.Log()}");
            Assert.Equal(victim, File.ReadAllBytes(Path.Combine(inDir, "victim.png")));
            Assert.Contains("exists; it is not replaced", Reason(dead, "victim"));
            Assert.Contains("has no resshift sidecar", Reason(dead, "victim-replace"));
            for (int i = 0; i < 8; i++) Assert.Contains("not a regular file", Reason(dead, $"fifo{i}"));
            Assert.True(await ReadyAsync(d));

            // 4, allowed: "replace" over an output whose sidecar shows this service wrote it.
            byte[] before = File.ReadAllBytes(Path.Combine(root, "out", "good.png"));
            await broker.PublishAsync(queue, Replace(Message("again", "in/victim.png", "out/good.png")), "again");
            await WatchFixtures.WaitUntil(() => !File.ReadAllBytes(Path.Combine(root, "out", "good.png")).SequenceEqual(before), Phase, d.Log);
            using (var sidecar = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "out", "good.png.resshift.json"))))
                Assert.Equal("in/victim.png", sidecar.RootElement.GetProperty("input").GetProperty("name").GetString());

            // 3: the output folder becomes a link to outside the roots after the message was taken.
            Directory.CreateDirectory(Path.Combine(root, "late"));
            await broker.PublishAsync(queue, Message("late", "in/slow.png", "late/slow.png"), "late");
            await WatchFixtures.WaitUntil(() => broker.CountAsync(queue).GetAwaiter().GetResult().Ready == 0, Phase, d.Log);
            Directory.Move(Path.Combine(root, "late"), Path.Combine(root, "late.old"));
            Directory.CreateSymbolicLink(Path.Combine(root, "late"), outside);
            await WatchFixtures.WaitUntil(() =>
            {
                dead.AddRange(broker.DrainAsync(queue + ".dead").GetAwaiter().GetResult());
                return dead.Any(x => x.Props.MessageId == "late");
            }, Phase, () => $"no dead letter for 'late'; outside holds {string.Join(", ", Directory.GetFiles(outside))}; log:\n{d.Log()}");
            Assert.Contains("symlink", Reason(dead, "late"));
            Assert.Empty(Directory.GetFileSystemEntries(outside));
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, d.ExitCode);
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
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
