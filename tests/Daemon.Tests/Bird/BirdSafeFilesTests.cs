using System.Text.Json;
using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>
/// BIRD jobs on the real daemon go through the same safe-path rules as image jobs: no input through a link,
/// no output replaced in a watch root (the next free name instead), no queue output replaced without
/// "replace" and a sidecar of ours.
/// </summary>
public sealed class BirdSafeFilesTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_bird_root_refuses_a_linked_input_and_gives_a_second_job_of_the_same_name_the_next_free_name()
    {
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        string inbox = Directory.CreateDirectory(Path.Combine(root, "inbox")).FullName, outbox = Path.Combine(root, "outbox");
        string secret = BirdInputs.PhotoCrop(outside, 32, "secret.png");
        byte[] secretBytes = File.ReadAllBytes(secret);
        object watch = new { Root = root, Model = "bird-tiny", Task = "deblur", Iterations = 3, CheckpointEvery = 0, SettleSeconds = 0.2, PollMilliseconds = 100, Seed = 4 };
        using var d = DaemonProcess.Start(work, [watch], threads: 1);

        // A link to a file outside the root: refused, moved aside as a link, nothing restored from it.
        File.CreateSymbolicLink(Path.Combine(inbox, "evil.png"), secret);
        await WaitUntil(() => File.Exists(Path.Combine(root, "failed", "evil.png.error.json")) || d.HasExited, Phase, d.Log);
        Assert.Contains("symbolic link", File.ReadAllText(Path.Combine(root, "failed", "evil.png.error.json")));
        Assert.False(File.Exists(Path.Combine(outbox, "evil.png")), "the outside file was restored into the outbox");
        Assert.Equal(secretBytes, File.ReadAllBytes(secret));

        // Two jobs named face.png, one after the other: the first output stays, the second gets face-2.png with its own companions.
        string first = BirdInputs.PhotoCrop(work, 32, "face.png");
        File.Move(first, Path.Combine(inbox, "face.png"));
        await WaitUntil(() => File.Exists(Path.Combine(root, "done", "face.png")) || d.HasExited, Phase, d.Log);
        byte[] firstOutput = File.ReadAllBytes(Path.Combine(outbox, "face.png"));
        byte[] firstKernel = File.ReadAllBytes(Path.Combine(outbox, "face.kernel.png"));
        byte[] firstSidecar = File.ReadAllBytes(Path.Combine(outbox, "face.png.resshift.json"));
        WritePng(Path.Combine(work, "face.png"), 32, 32, 9);
        File.Move(Path.Combine(work, "face.png"), Path.Combine(inbox, "face.png"));
        await WaitUntil(() => File.Exists(Path.Combine(outbox, "face-2.png")) || File.Exists(Path.Combine(root, "failed", "face.png.error.json")) || d.HasExited, Phase, d.Log);
        Assert.True(File.Exists(Path.Combine(outbox, "face-2.png")), "no face-2.png\n" + d.Log());
        Assert.Equal(firstOutput, File.ReadAllBytes(Path.Combine(outbox, "face.png")));
        Assert.Equal(firstKernel, File.ReadAllBytes(Path.Combine(outbox, "face.kernel.png")));
        Assert.Equal(firstSidecar, File.ReadAllBytes(Path.Combine(outbox, "face.png.resshift.json")));
        Assert.NotEqual(firstOutput, File.ReadAllBytes(Path.Combine(outbox, "face-2.png")));
        Assert.True(File.Exists(Path.Combine(outbox, "face-2.kernel.png")));
        using (var sidecar = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outbox, "face-2.png.resshift.json"))))
            Assert.Equal("face-2.kernel.png", sidecar.RootElement.GetProperty("bird").GetProperty("kernel").GetProperty("png").GetString());
        Assert.Empty(Files(outbox, "*.bird-checkpoint"));
        Assert.Empty(Files(outbox, "*" + ResShift.Pipeline.Files.RootDirectory.TempSuffix));
        Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_bird_queue_job_whose_output_exists_is_dead_lettered_unless_replace_and_ours()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("birdsafe");
        Directory.CreateDirectory(Path.Combine(root, "out"));
        string input = BirdInputs.PhotoCrop(root, 32);
        string output = Path.Combine(root, "out", "victim.png");
        WritePng(output, 32, 32, 3);
        byte[] victim = File.ReadAllBytes(output);
        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "bird-tiny", DeliveryLimit = 2 };
        using var d = QueueFixtures.StartDaemon(work, "birdsafe", q);
        try
        {
            await QueueFixtures.WaitReadyAsync(d, Phase);
            byte[] Body(string id, string to, bool replace, ulong seed = 1) => JsonSerializer.SerializeToUtf8Bytes(new { id, input, output = to, task = "denoise", replace, options = new { iterations = 2, seed } });
            await broker.PublishAsync(queue, Body("plain", output, false), "plain");
            await broker.PublishAsync(queue, Body("replace", output, true), "replace");
            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            await WaitUntil(() =>
            {
                dead.AddRange(broker.DrainAsync(queue + ".dead").GetAwaiter().GetResult());
                return dead.Count >= 2 || d.HasExited;
            }, Phase, () => $"{dead.Count} dead letters; log:\n{d.Log()}");
            Assert.Contains("exists; it is not replaced", Reason(dead, "plain"));
            Assert.Contains("has no resshift sidecar", Reason(dead, "replace"));
            Assert.Equal(victim, File.ReadAllBytes(output));
            Assert.False(File.Exists(output + ".resshift.json"));

            // An output this service wrote (its sidecar says so) is replaced when the message asks, and only then.
            string ours = Path.Combine(root, "out", "ours.png");
            await broker.PublishAsync(queue, Body("first", ours, false), "first");
            await WaitUntil(() => File.Exists(ours) || d.HasExited, Phase, d.Log);
            // Another seed (the same one would be this job already done, BirdAlreadyDoneTests): refused without "replace".
            await broker.PublishAsync(queue, Body("again", ours, false, seed: 2), "again");
            await WaitUntil(() =>
            {
                dead.AddRange(broker.DrainAsync(queue + ".dead").GetAwaiter().GetResult());
                return dead.Any(x => x.Props.MessageId == "again") || d.HasExited;
            }, Phase, d.Log);
            Assert.Contains("exists; it is not replaced", Reason(dead, "again"));
            DateTime before = File.GetLastWriteTimeUtc(ours);
            await broker.PublishAsync(queue, Body("replace-ours", ours, true, seed: 2), "replace-ours");
            await WaitUntil(() => File.GetLastWriteTimeUtc(ours) != before || d.HasExited, Phase, d.Log);
            Assert.DoesNotContain(dead, x => x.Props.MessageId == "replace-ours");
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    private static string Reason(List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)> dead, string id)
    {
        var (_, props) = Assert.Single(dead, x => x.Props.MessageId == id);
        return TestBroker.Header(props, "x-resshift-error") ?? "";
    }
}
