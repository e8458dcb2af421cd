using System.Text.Json;
using ResShift.Daemon.Inputs.RabbitMq.Segments;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Daemon.Tests.Video;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>
/// Issue 24 cases 3, 6 and 7 on the real daemon and broker: a queue video's spool that is a link is never written
/// through; a forged segment message naming another job's output harms nothing; a second job for the same output is
/// refused instead of taking the first one's plan. Every job id ends with exactly one completed or failed event.
/// </summary>
public sealed class VideoQueueTrustTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(300);

    private sealed class Events(TestBroker broker, string tap)
    {
        public List<(string Event, string Id, bool Duplicate, string? Error)> Jobs { get; } = [];

        public async Task PollAsync()
        {
            foreach (var (body, _) in await broker.DrainAsync(tap))
            {
                using JsonDocument doc = JsonDocument.Parse(body);
                JsonElement r = doc.RootElement;
                string ev = r.GetProperty("event").GetString()!;
                if (ev.StartsWith("job.", StringComparison.Ordinal))
                    Jobs.Add((ev, r.GetProperty("id").GetString() ?? "", r.TryGetProperty("duplicate", out JsonElement d) && d.GetBoolean(), r.GetProperty("error").GetString()));
            }
        }

        public int Terminal(string id) => Jobs.Count(j => j.Id == id && j.Event is "job.completed" or "job.failed");
        public string Describe() => string.Join("; ", Jobs.Select(j => $"{j.Event} {j.Id}{(j.Duplicate ? " (duplicate)" : "")} {j.Error}"));
    }

    private static byte[] VideoMessage(string id, string input, string output, object? video) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?> { ["id"] = id, ["input"] = input, ["output"] = output, ["video"] = video });

    private static DaemonProcess Daemon(string work, string name, object queue) =>
        DaemonProcess.Start(work, [], maxJobsInFlight: 4, drainSeconds: 30, rabbitMq: [queue], threads: 1, configName: name + ".json");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + Phase;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(describe());
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_queue_spool_that_is_a_link_is_refused_and_nothing_is_written_through_it()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("vlink");
        string outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "in"));
        string clip = await Clips.MakeAsync(Path.Combine(root, "in"), "clip.mkv", frames: 4);
        string outFile = Path.Combine(root, "out", "clip.mkv");
        Directory.CreateDirectory(Path.Combine(root, ".resshift-video"));
        File.CreateSymbolicLink(Path.Combine(root, ".resshift-video", QueueSpool.NameFor("out/clip.mkv")), outside);

        string tap = await broker.TapEventsAsync(queue, "resshift.events", "video.#");
        var events = new Events(broker, tap);
        try
        {
            using var d = Daemon(work, "d", Queue(broker.Uri, queue, root));
            await WaitReadyAsync(d, Phase);
            await broker.PublishAsync(queue, VideoMessage("linked", clip, outFile, new { segment_frames = 2 }), "linked");
            await WaitUntilAsync(async () => { await events.PollAsync(); return events.Terminal("linked") > 0 || Directory.EnumerateFileSystemEntries(outside).Any(); },
                () => $"no event for the job; events: {events.Describe()}; log:\n{d.Log()}");

            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            await events.PollAsync();
            var ended = Assert.Single(events.Jobs, j => j.Id == "linked");
            Assert.Equal("job.failed", ended.Event);
            Assert.Contains("spool", ended.Error);
            Assert.False(File.Exists(outFile));
            Assert.False(d.HasExited, d.Log());
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task A_forged_segment_message_naming_another_jobs_output_does_not_harm_that_job()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("vforge");
        Directory.CreateDirectory(Path.Combine(root, "in"));
        string clip = await Clips.MakeAsync(Path.Combine(root, "in"), "clip.mkv", frames: 8);
        string outFile = Path.Combine(root, "out", "clip.mkv");
        string tap = await broker.TapEventsAsync(queue, "resshift.events", "video.#");
        var events = new Events(broker, tap);
        try
        {
            object q = Queue(broker.Uri, queue, root);
            // The victim is planned, then its planner's daemon is killed: its segment messages wait in the queue, and
            // the forged message is put ahead of them, so it is handled while the victim's plan is in the spool.
            using (var planner = Daemon(work, "planner", q))
            {
                await WaitReadyAsync(planner, Phase);
                await broker.PublishAsync(queue, VideoMessage("victim", clip, outFile, new { segment_frames = 2 }), "victim");
                await WaitUntilAsync(() => Task.FromResult(planner.Log().Contains("split video victim into", StringComparison.Ordinal)), () => "never split: " + planner.Log());
                planner.KillHard();
            }
            List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)> pending = [];
            await WaitUntilAsync(async () => (await broker.CountAsync(queue + ".segments")) is { Consumers: 0, Ready: > 0 }, () => "the victim's segment messages did not come back");
            pending = await broker.DrainAsync(queue + ".segments");
            byte[] forged = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["job_id"] = "victim", ["plan_id"] = "0123456789abcdef0123456789abcdef", ["input"] = "/etc/passwd", ["output"] = outFile, ["segment"] = 0, ["segments"] = 4,
            });
            await broker.PublishAsync(queue + ".segments", forged, "forged");
            foreach (var (body, props) in pending) await broker.PublishAsync(queue + ".segments", body, props.MessageId);

            using var worker = Daemon(work, "worker", q);
            await WaitUntilAsync(async () => { await events.PollAsync(); return events.Terminal("victim") > 0; },
                () => $"no terminal event for the victim; events: {events.Describe()}; log:\n{worker.Log()}");
            Assert.Equal(8, await Clips.FramesAsync(outFile));
            // Settled: every message handled, then the events counted.
            await WaitUntilAsync(async () => (await broker.CountAsync(queue + ".segments")).Ready == 0, () => "segment messages left");
            await events.PollAsync();
            Assert.Equal(1, events.Terminal("victim"));
            Assert.Contains(events.Jobs, j => j.Id == "victim" && j.Event == "job.completed");
            Assert.False(worker.HasExited, worker.Log());
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task A_second_job_for_the_same_output_is_refused_and_the_first_ends_once()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("vtwice");
        Directory.CreateDirectory(Path.Combine(root, "in"));
        string clip = await Clips.MakeAsync(Path.Combine(root, "in"), "clip.mkv", frames: 8);
        string outFile = Path.Combine(root, "out", "clip.mkv");
        string tap = await broker.TapEventsAsync(queue, "resshift.events", "video.#");
        var events = new Events(broker, tap);
        try
        {
            using var d = Daemon(work, "d", Queue(broker.Uri, queue, root));
            await WaitReadyAsync(d, Phase);
            await broker.PublishAsync(queue, VideoMessage("first", clip, outFile, new { segment_frames = 2 }), "first");
            await WaitUntilAsync(() => Task.FromResult(d.Log().Contains("split video first into", StringComparison.Ordinal)), () => "never split: " + d.Log());
            // Other settings: another plan for the same output while the first job's segments are being restored.
            await broker.PublishAsync(queue, VideoMessage("second", clip, outFile, new { segment_frames = 4 }), "second");

            await WaitUntilAsync(async () => { await events.PollAsync(); return events.Terminal("first") > 0 && events.Terminal("second") > 0; },
                () => $"not both jobs ended; events: {events.Describe()}; log:\n{d.Log()}");
            await WaitUntilAsync(async () => (await broker.CountAsync(queue + ".segments")).Ready == 0, () => "segment messages left");
            await events.PollAsync();

            Assert.Equal(1, events.Terminal("first"));
            Assert.Contains(events.Jobs, j => j.Id == "first" && j.Event == "job.completed");
            var second = Assert.Single(events.Jobs, j => j.Id == "second");
            Assert.Equal("job.failed", second.Event);
            Assert.Contains("is being produced by job 'first'", second.Error);
            Assert.Equal(8, await Clips.FramesAsync(outFile));
            using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(outFile + ".resshift.json"));
            Assert.Equal(4, sidecar.RootElement.GetProperty("video").GetProperty("segments").GetArrayLength()); // the first job's plan (2-frame segments)
            Assert.False(d.HasExited, d.Log());
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }
}
