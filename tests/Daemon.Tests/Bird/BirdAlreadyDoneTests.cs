using System.Text.Json;
using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>
/// The "already done" rule for BIRD jobs on the real daemon: an output whose BIRD sidecar names this input's
/// sha256, model, task, seed and iterations is the job's result, so a redelivered message is acked (not dead-lettered)
/// and a job resumed from processing/ is moved to done/ (no -2 copy); another seed or input is not done.
/// </summary>
public sealed class BirdAlreadyDoneTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_bird_message_published_twice_is_acked_as_already_done_and_another_seed_is_still_refused()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("birddone");
        Directory.CreateDirectory(Path.Combine(root, "out"));
        string input = BirdInputs.PhotoCrop(root, 32);
        string output = Path.Combine(root, "out", "done.png");
        string tap = await broker.TapEventsAsync(queue);
        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "bird-tiny", DeliveryLimit = 2 };
        using var d = QueueFixtures.StartDaemon(work, "birddone", q);
        try
        {
            await QueueFixtures.WaitReadyAsync(d, Phase);
            string tag = Guid.NewGuid().ToString("N")[..8];
            byte[] Body(string id, ulong seed) => JsonSerializer.SerializeToUtf8Bytes(new { id, input, output, task = "denoise", options = new { iterations = 2, seed } });
            var completions = new List<(string Id, bool Duplicate)>();
            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            async Task PollAsync()
            {
                foreach (var (body, _) in await broker.DrainAsync(tap))
                {
                    using JsonDocument doc = JsonDocument.Parse(body);
                    if (doc.RootElement.GetProperty("event").GetString() == "job.completed")
                        completions.Add((doc.RootElement.GetProperty("id").GetString() ?? "", doc.RootElement.GetProperty("duplicate").GetBoolean()));
                }
                dead.AddRange(await broker.DrainAsync(queue + ".dead"));
            }

            await broker.PublishAsync(queue, Body("first-" + tag, 1), "first-" + tag);
            await WaitUntil(() => { PollAsync().GetAwaiter().GetResult(); return completions.Any(c => c.Id == "first-" + tag) || d.HasExited; }, Phase, d.Log);
            Assert.Contains(("first-" + tag, false), completions);
            byte[] image = File.ReadAllBytes(output), sidecar = File.ReadAllBytes(output + ".resshift.json");
            DateTime written = File.GetLastWriteTimeUtc(output), sidecarWritten = File.GetLastWriteTimeUtc(output + ".resshift.json");

            // The same job again (as after a crash before the ack): completed as a duplicate, nothing dead-lettered or rewritten.
            await broker.PublishAsync(queue, Body("again-" + tag, 1), "again-" + tag);
            await WaitUntil(() => { PollAsync().GetAwaiter().GetResult(); return completions.Any(c => c.Id == "again-" + tag) || dead.Count > 0 || d.HasExited; }, Phase, d.Log);
            Assert.Empty(dead);
            Assert.Contains(("again-" + tag, true), completions);
            Assert.Contains("already done again-" + tag, d.Log());
            Assert.Equal(image, File.ReadAllBytes(output));
            Assert.Equal(sidecar, File.ReadAllBytes(output + ".resshift.json"));
            Assert.Equal(written, File.GetLastWriteTimeUtc(output));
            Assert.Equal(sidecarWritten, File.GetLastWriteTimeUtc(output + ".resshift.json"));

            // Another seed for the same output is another job: refused without "replace", the output untouched.
            await broker.PublishAsync(queue, Body("seed-" + tag, 2), "seed-" + tag);
            await WaitUntil(() => { PollAsync().GetAwaiter().GetResult(); return dead.Any(x => x.Props.MessageId == "seed-" + tag) || d.HasExited; }, Phase, d.Log);
            var (_, props) = Assert.Single(dead, x => x.Props.MessageId == "seed-" + tag);
            Assert.Contains("exists; it is not replaced", TestBroker.Header(props, "x-resshift-error") ?? "");
            Assert.DoesNotContain(completions, c => c.Id == "seed-" + tag);
            Assert.Equal(image, File.ReadAllBytes(output));
            Assert.Equal(written, File.GetLastWriteTimeUtc(output));
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task An_inpaint_message_is_already_done_only_with_the_same_mask_bytes()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("birdmask");
        Directory.CreateDirectory(Path.Combine(root, "out"));
        string input = BirdInputs.PhotoCrop(root, 32);
        string maskA = Path.Combine(root, "mask-a.png"), maskB = Path.Combine(root, "mask-b.png");
        WritePng(maskA, 32, 32, 1);
        WritePng(maskB, 32, 32, 2);
        string output = Path.Combine(root, "out", "filled.png");
        string tap = await broker.TapEventsAsync(queue);
        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "bird-tiny", DeliveryLimit = 2 };
        using var d = QueueFixtures.StartDaemon(work, "birdmask", q);
        try
        {
            await QueueFixtures.WaitReadyAsync(d, Phase);
            string tag = Guid.NewGuid().ToString("N")[..8];
            byte[] Body(string id, string mask) => JsonSerializer.SerializeToUtf8Bytes(new { id, input, output, task = "inpaint", mask, options = new { iterations = 2, seed = 3 } });
            var completions = new List<(string Id, bool Duplicate)>();
            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            async Task PollAsync()
            {
                foreach (var (body, _) in await broker.DrainAsync(tap))
                {
                    using JsonDocument doc = JsonDocument.Parse(body);
                    if (doc.RootElement.GetProperty("event").GetString() == "job.completed")
                        completions.Add((doc.RootElement.GetProperty("id").GetString() ?? "", doc.RootElement.GetProperty("duplicate").GetBoolean()));
                }
                dead.AddRange(await broker.DrainAsync(queue + ".dead"));
            }
            bool Seen(string id) => completions.Any(c => c.Id == id) || dead.Any(x => x.Props.MessageId == id);

            await broker.PublishAsync(queue, Body("a-" + tag, maskA), "a-" + tag);
            await WaitUntil(() => { PollAsync().GetAwaiter().GetResult(); return Seen("a-" + tag) || d.HasExited; }, Phase, d.Log);
            Assert.Contains(("a-" + tag, false), completions);
            using (var sidecar = JsonDocument.Parse(File.ReadAllBytes(output + ".resshift.json")))
                Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(maskA))),
                    sidecar.RootElement.GetProperty("mask").GetProperty("sha256").GetString());
            DateTime written = File.GetLastWriteTimeUtc(output);

            await broker.PublishAsync(queue, Body("a2-" + tag, maskA), "a2-" + tag);
            await WaitUntil(() => { PollAsync().GetAwaiter().GetResult(); return Seen("a2-" + tag) || d.HasExited; }, Phase, d.Log);
            Assert.Contains(("a2-" + tag, true), completions);

            // Another mask is another job: refused without "replace", the output untouched.
            await broker.PublishAsync(queue, Body("b-" + tag, maskB), "b-" + tag);
            await WaitUntil(() => { PollAsync().GetAwaiter().GetResult(); return Seen("b-" + tag) || d.HasExited; }, Phase, d.Log);
            var (_, props) = Assert.Single(dead, x => x.Props.MessageId == "b-" + tag);
            Assert.Contains("exists; it is not replaced", TestBroker.Header(props, "x-resshift-error") ?? "");
            Assert.Equal(written, File.GetLastWriteTimeUtc(output));
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task A_bird_job_resumed_from_processing_with_its_output_written_moves_to_done_without_a_second_copy()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root");
        string inbox = Directory.CreateDirectory(Path.Combine(root, "inbox")).FullName, outbox = Path.Combine(root, "outbox");
        string processing = Path.Combine(root, "processing"), done = Path.Combine(root, "done");
        object watch = new { Root = root, Model = "bird-tiny", Task = "denoise", Iterations = 2, CheckpointEvery = 0, SettleSeconds = 0.2, PollMilliseconds = 100, Seed = 4 };

        // A first run writes both outputs and moves both inputs to done/.
        using (var first = DaemonProcess.Start(work, [watch], threads: 1))
        {
            File.Move(BirdInputs.PhotoCrop(work, 32, "face.png"), Path.Combine(inbox, "face.png"));
            WritePng(Path.Combine(work, "other.png"), 32, 32, 5);
            File.Move(Path.Combine(work, "other.png"), Path.Combine(inbox, "other.png"));
            await WaitUntil(() => (File.Exists(Path.Combine(done, "face.png")) && File.Exists(Path.Combine(done, "other.png"))) || first.HasExited, Phase, first.Log);
            Assert.True(first.Terminate(TimeSpan.FromSeconds(30)));
        }
        byte[] face = File.ReadAllBytes(Path.Combine(outbox, "face.png")), faceSidecar = File.ReadAllBytes(Path.Combine(outbox, "face.png.resshift.json"));
        DateTime faceWritten = File.GetLastWriteTimeUtc(Path.Combine(outbox, "face.png"));
        byte[] other = File.ReadAllBytes(Path.Combine(outbox, "other.png"));

        // As after a crash between the sidecar and the move to done/: face.png is back in processing/. other.png there
        // is a different image of the same name, whose existing output is not its result.
        Directory.CreateDirectory(processing);
        File.Move(Path.Combine(done, "face.png"), Path.Combine(processing, "face.png"));
        File.Delete(Path.Combine(done, "other.png"));
        WritePng(Path.Combine(processing, "other.png"), 32, 32, 8);

        using var d = DaemonProcess.Start(work, [watch], threads: 1);
        await WaitUntil(() => (File.Exists(Path.Combine(done, "face.png")) && File.Exists(Path.Combine(done, "other.png"))) || d.HasExited, Phase, d.Log);
        Assert.True(File.Exists(Path.Combine(done, "face.png")), "face.png not moved to done/\n" + d.Log());
        Assert.False(File.Exists(Path.Combine(processing, "face.png")));
        Assert.Contains("face.png was already restored; moved to done/", d.Log());
        Assert.False(File.Exists(Path.Combine(outbox, "face-2.png")), "the finished job was computed again as face-2.png");
        Assert.Equal(face, File.ReadAllBytes(Path.Combine(outbox, "face.png")));
        Assert.Equal(faceSidecar, File.ReadAllBytes(Path.Combine(outbox, "face.png.resshift.json")));
        Assert.Equal(faceWritten, File.GetLastWriteTimeUtc(Path.Combine(outbox, "face.png")));
        // The other input was not done: restored to the next free name, the earlier output kept.
        Assert.True(File.Exists(Path.Combine(outbox, "other-2.png")), "the different other.png was not restored\n" + d.Log());
        Assert.Equal(other, File.ReadAllBytes(Path.Combine(outbox, "other.png")));
        Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
    }
}
