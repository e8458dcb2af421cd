using System.Diagnostics;
using System.Text.Json;
using ResShift.Daemon.Inputs.RabbitMq.Segments;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Daemon.Tests.Video;
using ResShift.Pipeline.Video.Processes;
using Xunit.Abstractions;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>
/// Videos from queue messages on real daemons and the real broker (issue 14, proof item 11): split into segment
/// messages that several daemons share over one storage folder, a daemon SIGKILLed mid-way, an assembler killed
/// just before delivery, per-message encoder settings and their refusals.
/// </summary>
public class VideoQueueTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(120);

    /// <summary>Events on a tap: job events by id, and segment events.</summary>
    private sealed class Events(TestBroker broker, string tap)
    {
        public List<(string Event, string Id, bool Duplicate, string? Error)> Jobs { get; } = [];
        public List<(string JobId, int Segment, int Pid)> Segments { get; } = [];

        public async Task PollAsync()
        {
            foreach (var (body, _) in await broker.DrainAsync(tap))
            {
                using JsonDocument doc = JsonDocument.Parse(body);
                JsonElement r = doc.RootElement;
                string ev = r.GetProperty("event").GetString()!;
                if (ev == "video.segment")
                    Segments.Add((r.GetProperty("job_id").GetString()!, r.GetProperty("segment").GetInt32(), r.GetProperty("pid").GetInt32()));
                else
                    Jobs.Add((ev, r.GetProperty("id").GetString()!, r.GetProperty("duplicate").GetBoolean(), r.GetProperty("error").GetString()));
            }
        }

        public int Completed(string id) => Jobs.Count(j => j.Id == id && j.Event == "job.completed");
    }

    private static byte[] VideoMessage(string id, string input, string output, object? video) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?> { ["id"] = id, ["input"] = input, ["output"] = output, ["video"] = video });

    private static DaemonProcess Daemon(string work, string name, object queue, IReadOnlyDictionary<string, string>? env = null) =>
        DaemonProcess.Start(work, [], maxJobsInFlight: 4, drainSeconds: 30, rabbitMq: [queue], threads: 1, configName: name + ".json", environment: env);

    private static int Count(string log, string what) => log.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));

    [Fact]
    public async Task Two_daemons_share_one_videos_segments_one_is_killed_and_the_output_is_byte_identical_to_a_one_process_run()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("vsplit");
        Directory.CreateDirectory(Path.Combine(root, "in"));
        string clip = await Clips.MakeAsync(Path.Combine(root, "in"), "clip.mkv", frames: 16);
        string outFile = Path.Combine(root, "out", "clip.mkv");

        // The one-process reference: `resshift restore` with the same settings (x264 default, 2-frame segments).
        string reference = Path.Combine(work, "reference", "clip.mkv");
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, await RunCliAsync(["restore", clip, "-o", reference, "--model", "tiny-x4", "--models-dir", Repo.Engines, "--engine", "cpu",
            "--segment-frames", "2", "--threads", "1"]));
        output.WriteLine($"reference run: {clock.Elapsed.TotalSeconds:0.0} s");

        string tap = await broker.TapEventsAsync(queue, "resshift.events", "video.#");
        var events = new Events(broker, tap);
        try
        {
            object q = Queue(broker.Uri, queue, root);
            using var a = Daemon(work, "a", q);
            using var b = Daemon(work, "b", q);
            await WaitReadyAsync(a, Phase);
            await WaitReadyAsync(b, Phase);
            clock.Restart();
            await broker.PublishAsync(queue, VideoMessage("video-1", clip, outFile, new { segment_frames = 2 }), "video-1");

            // SIGKILL a once it has committed a segment and is restoring another.
            await WaitUntilAsync(() =>
            {
                string log = a.Log();
                int committed = Count(log, "of video-1 committed"), started = Count(log, "of video-1: restoring");
                return committed >= 1 && started > committed;
            }, () => $"daemon a never committed a segment while holding another; log a:\n{a.Log()}\nlog b:\n{b.Log()}");
            a.KillHard();
            int committedByA = Count(a.Log(), "of video-1 committed");
            output.WriteLine($"SIGKILL a after it committed {committedByA} segment(s), {clock.Elapsed.TotalSeconds:0.0} s");

            await WaitUntilAsync(async () => { await events.PollAsync(); return events.Completed("video-1") >= 1; },
                () => $"no job.completed for video-1; log b:\n{b.Log()}");
            output.WriteLine($"video delivered {clock.Elapsed.TotalSeconds:0.0} s after publishing");
            Assert.True(b.Terminate(TimeSpan.FromSeconds(40)), "daemon b did not stop on SIGTERM");
            Assert.Equal(0, b.ExitCode);

            Assert.Equal(await File.ReadAllBytesAsync(reference), await File.ReadAllBytesAsync(outFile));
            Assert.Equal(16, await Clips.FramesAsync(outFile));
            Assert.False(Directory.Exists(Path.Combine(root, "out", ".clip.mkv.resshift-segments")), "a spool beside the output");
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, ".resshift-video"))); // the job's spool was there, and is cleaned

            // Every segment was computed by one of the two daemons, and both did work.
            using JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(outFile + ".resshift.json"));
            var workers = sidecar.RootElement.GetProperty("video").GetProperty("segments").EnumerateArray()
                .Select(s => int.Parse(s.GetProperty("worker").GetString()!.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Enumerable.Range(0, 8), sidecar.RootElement.GetProperty("video").GetProperty("segments").EnumerateArray().Select(s => s.GetProperty("index").GetInt32()));
            Assert.Equal(8, workers.Count);
            Assert.All(workers, w => Assert.Contains(w, new[] { a.Pid, b.Pid }));
            Assert.Contains(a.Pid, workers);
            Assert.Contains(b.Pid, workers);
            Assert.True(sidecar.RootElement.GetProperty("video").TryGetProperty("plan", out _), "the sidecar names no plan");
            output.WriteLine($"segments by a: {workers.Count(w => w == a.Pid)}, by b: {workers.Count(w => w == b.Pid)}");

            // Nothing left unacked or dead; one completion, no failure.
            Assert.Equal((0u, 0u), await broker.CountAsync(queue));
            Assert.Equal((0u, 0u), await broker.CountAsync(queue + ".segments"));
            Assert.Equal(0u, (await broker.CountAsync(queue + ".dead")).Ready);
            await events.PollAsync();
            Assert.DoesNotContain(events.Jobs, j => j.Event == "job.failed");
            Assert.Equal(1, events.Jobs.Count(j => j.Id == "video-1" && j.Event == "job.completed" && !j.Duplicate));
            // A segment event per segment b computed (a's may have died with it), each naming the video job.
            Assert.Equal(Enumerable.Range(0, 8).Where(i => workers[i] == b.Pid), events.Segments.Where(s => s.Pid == b.Pid).Select(s => s.Segment).Order());
            Assert.All(events.Segments, s => Assert.Equal("video-1", s.JobId));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task One_daemon_restores_videos_unsplit_and_split_with_message_encoder_settings_and_dead_letters_bad_ones()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("vone");
        Directory.CreateDirectory(Path.Combine(root, "in"));
        string clip = await Clips.MakeAsync(Path.Combine(root, "in"), "clip.mp4", frames: 8);
        string outDir = Path.Combine(root, "out"), unsplit = Path.Combine(outDir, "unsplit.mkv"), split = Path.Combine(outDir, "split.mkv");
        string tap = await broker.TapEventsAsync(queue, "resshift.events", "video.#");
        var events = new Events(broker, tap);
        try
        {
            using var d = Daemon(work, "one", Queue(broker.Uri, queue, root));
            await WaitReadyAsync(d, Phase);
            await broker.PublishAsync(queue, VideoMessage("unsplit", clip, unsplit, new { codec = "ffv1", segment_frames = 2, split = false }), "unsplit");
            await broker.PublishAsync(queue, VideoMessage("split", clip, split, new { codec = "ffv1", segment_frames = 2 }), "split");
            await broker.PublishAsync(queue, VideoMessage("bad-crf", clip, Path.Combine(outDir, "bad.mkv"), new { codec = "ffv1", crf = 20 }), "bad-crf");
            await broker.PublishAsync(queue, VideoMessage("bad-key", clip, Path.Combine(outDir, "bad2.mkv"), new { codecs = "ffv1" }), "bad-key");

            // A permanent segment failure: the input is replaced once the job is planned, so its segments no longer match the plan.
            string changing = Path.Combine(root, "in", "changing.mp4"), changedOut = Path.Combine(root, "out2", "changing.mkv");
            File.Copy(clip, changing);
            string other = await Clips.MakeAsync(work, "other.mp4", frames: 8, size: "24x32");
            await broker.PublishAsync(queue, VideoMessage("changing", changing, changedOut, new { codec = "ffv1", segment_frames = 1 }), "changing");
            string changedSpool = Path.Combine(root, ".resshift-video", QueueSpool.NameFor("out2/changing.mkv")); // the root's spool, not out2/
            await WaitUntilAsync(() => File.Exists(Path.Combine(changedSpool, "plan.json")), () => $"no plan for 'changing'; log:\n{d.Log()}");
            File.Copy(other, changing + ".tmp");
            File.Move(changing + ".tmp", changing, overwrite: true);

            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            await WaitUntilAsync(async () =>
            {
                dead.AddRange(await broker.DrainAsync(queue + ".dead"));
                await events.PollAsync();
                return dead.Count >= 3 && events.Completed("unsplit") >= 1 && events.Completed("split") >= 1 && events.Jobs.Any(j => j.Id == "changing" && j.Event == "job.failed")
                    && (await broker.CountAsync(queue + ".segments")).Ready == 0;
            }, () => $"{dead.Count} dead letters; events {string.Join(", ", events.Jobs)}; log:\n{d.Log()}");

            Assert.Equal(await File.ReadAllBytesAsync(unsplit), await File.ReadAllBytesAsync(split));
            string codec = await ChildProcess.RunAsync(FfmpegTools.Default.Ffprobe,
                ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", split], CancellationToken.None);
            Assert.Equal("ffv1", codec.Trim().TrimEnd(','));
            Assert.Equal(8, await Clips.FramesAsync(split));
            using (JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(split + ".resshift.json")))
            {
                Assert.Equal("ffv1", sidecar.RootElement.GetProperty("video").GetProperty("encoder").GetProperty("codec").GetString());
                Assert.Equal(4, sidecar.RootElement.GetProperty("video").GetProperty("segments").GetArrayLength());
                Assert.True(sidecar.RootElement.GetProperty("video").TryGetProperty("plan", out _));
            }
            using (JsonDocument sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(unsplit + ".resshift.json")))
                Assert.False(sidecar.RootElement.GetProperty("video").TryGetProperty("plan", out _), "the unsplit job was planned for segment messages");
            Assert.Equal(4, events.Segments.Count(s => s.JobId == "split"));
            Assert.DoesNotContain(events.Segments, s => s.JobId == "unsplit");

            var crf = Assert.Single(dead, x => x.Props.MessageId == "bad-crf");
            Assert.Equal("input", TestBroker.Header(crf.Props, "x-resshift-error-kind"));
            Assert.Contains("FFV1 is lossless", TestBroker.Header(crf.Props, "x-resshift-error"));
            var key = Assert.Single(dead, x => x.Props.MessageId == "bad-key");
            Assert.Equal("message", TestBroker.Header(key.Props, "x-resshift-error-kind"));
            Assert.Contains("unknown property 'video.codecs'", TestBroker.Header(key.Props, "x-resshift-error"));
            Assert.False(File.Exists(Path.Combine(outDir, "bad.mkv")));

            // The changed input: the segments that found it dead-lettered with the reason (those running at the time),
            // the job reported failed once, the other segments dropped.
            var segmentDead = dead.Where(x => TestBroker.Header(x.Props, "x-resshift-queue") == queue + ".segments").ToList();
            Assert.InRange(segmentDead.Count, 1, 4); // at most the prefetch's worth were running when the first failed
            Assert.All(segmentDead, x =>
            {
                Assert.Equal("input", TestBroker.Header(x.Props, "x-resshift-error-kind"));
                Assert.Contains("the input changed since the job was planned", TestBroker.Header(x.Props, "x-resshift-error"));
                Assert.StartsWith("changing#segment-", x.Props.MessageId);
            });
            var failed = Assert.Single(events.Jobs, j => j.Id == "changing" && j.Event == "job.failed");
            Assert.Contains("the input changed", failed.Error);
            Assert.False(File.Exists(changedOut), "a job whose input changed delivered an output");
            Assert.True(File.Exists(Path.Combine(changedSpool, "failed.txt")), "no failure marker in the spool");
            Assert.Equal(new[] { "split.mkv", "split.mkv.resshift.json", "unsplit.mkv", "unsplit.mkv.resshift.json" },
                Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order().ToArray());

            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
            Assert.Equal((0u, 0u), await broker.CountAsync(queue));
            Assert.Equal((0u, 0u), await broker.CountAsync(queue + ".segments"));
            await events.PollAsync();
            Assert.Single(events.Jobs, j => j.Id == "changing" && j.Event == "job.failed");
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task An_assembler_killed_before_delivery_leaves_the_assembly_to_the_other_daemon()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("vasm");
        Directory.CreateDirectory(Path.Combine(root, "in"));
        string clip = await Clips.MakeAsync(Path.Combine(root, "in"), "clip.mkv", frames: 4);
        string outFile = Path.Combine(root, "out", "clip.mkv"), token = Path.Combine(work, "crash-once");
        var env = new Dictionary<string, string> { ["RESSHIFT_TEST_EXIT_BEFORE_DELIVERY"] = token };
        string tap = await broker.TapEventsAsync(queue);
        var events = new Events(broker, tap);
        try
        {
            object q = Queue(broker.Uri, queue, root);
            using var a = Daemon(work, "a", q, env);
            using var b = Daemon(work, "b", q, env);
            await WaitReadyAsync(a, Phase);
            await WaitReadyAsync(b, Phase);
            await broker.PublishAsync(queue, VideoMessage("asm", clip, outFile, new { codec = "ffv1", segment_frames = 2 }), "asm");

            await WaitUntilAsync(async () => { await events.PollAsync(); return events.Completed("asm") >= 1; },
                () => $"no job.completed; token {File.Exists(token)}; log a:\n{a.Log()}\nlog b:\n{b.Log()}");
            Assert.True(File.Exists(token), "no assembler reached the delivery hook");
            Assert.True(a.HasExited != b.HasExited, $"exactly one daemon should have died: a {a.HasExited}, b {b.HasExited}");
            DaemonProcess survivor = a.HasExited ? b : a;
            Assert.Contains("assembled video asm", survivor.Log());
            Assert.Equal(4, await Clips.FramesAsync(outFile));
            Assert.False(Directory.Exists(Path.Combine(root, ".resshift-video", QueueSpool.NameFor("out/clip.mkv"))), "the spool was not cleaned");
            Assert.True(survivor.Terminate(TimeSpan.FromSeconds(30)));
            Assert.Equal((0u, 0u), await broker.CountAsync(queue));
            Assert.Equal((0u, 0u), await broker.CountAsync(queue + ".segments"));
            Assert.Equal(0u, (await broker.CountAsync(queue + ".dead")).Ready);
            await events.PollAsync();
            Assert.Equal(1, events.Jobs.Count(j => j.Id == "asm" && j.Event == "job.completed" && !j.Duplicate));
            Assert.DoesNotContain(events.Jobs, j => j.Event == "job.failed");
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    private static async Task<int> RunCliAsync(string[] args)
    {
        var psi = new ProcessStartInfo(DaemonProcess.Executable(), args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync(), outText = p.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"resshift {string.Join(' ', args)} failed ({p.ExitCode}): {await outText}{await err}");
        return p.ExitCode;
    }

    private static Task WaitUntilAsync(Func<bool> condition, Func<string> describe) => WaitUntilAsync(() => Task.FromResult(condition()), describe);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + Phase;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting: " + describe());
            await Task.Delay(50);
        }
    }
}
