using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using ResShift.Pipeline.Imaging;
using Xunit.Abstractions;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>Real daemons on the real (private) broker with real files: scale-out, crashes, broker restarts, poison messages.</summary>
public class RabbitMqServeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(150);

    /// <summary>Events seen so far on a tap queue: completed ids (and, separately, every completion with its duplicate flag), failed ids.</summary>
    private sealed class EventLog(TestBroker broker, string tap)
    {
        public HashSet<string> Completed { get; } = new(StringComparer.Ordinal);
        public List<(string Id, bool Duplicate)> Completions { get; } = [];
        public HashSet<string> Failed { get; } = new(StringComparer.Ordinal);
        public int Total { get; private set; }

        public async Task PollAsync()
        {
            foreach (var (body, _) in await broker.DrainAsync(tap))
            {
                using JsonDocument doc = JsonDocument.Parse(body);
                string id = doc.RootElement.GetProperty("id").GetString() ?? "";
                if (doc.RootElement.GetProperty("event").GetString() == "job.completed")
                {
                    Completed.Add(id);
                    Completions.Add((id, doc.RootElement.GetProperty("duplicate").GetBoolean()));
                }
                else
                {
                    Failed.Add(id);
                }
                Total++;
            }
        }
    }

    /// <summary>Each finished output (image and sidecar both in place) with its write times and sidecar text: a rewrite changes them.</summary>
    private static Dictionary<string, (DateTime Png, DateTime Sidecar, string SidecarText)> FinishedOutputs(string root)
    {
        string outDir = Path.Combine(root, "out");
        var map = new Dictionary<string, (DateTime, DateTime, string)>(StringComparer.Ordinal);
        foreach (string sidecar in Directory.GetFiles(outDir, "*.png.resshift.json"))
        {
            string png = sidecar[..^".resshift.json".Length];
            if (File.Exists(png))
                map[Path.GetFileNameWithoutExtension(png)] = (File.GetLastWriteTimeUtc(png), File.GetLastWriteTimeUtc(sidecar), File.ReadAllText(sidecar));
        }
        return map;
    }

    [Fact]
    public async Task TwoHundredJobsTwoDaemonsOneKilledEveryOutputExactlyOnce()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("scale");
        var jobs = Jobs(root, 200);
        string tap = await broker.TapEventsAsync(queue);
        var events = new EventLog(broker, tap);
        try
        {
            object q = Queue(broker.Uri, queue, root);
            var atKill = new Dictionary<string, (DateTime Png, DateTime Sidecar, string SidecarText)>();
            var a = StartDaemon(work, "a", q);
            using var b = StartDaemon(work, "b", q);
            try
            {
                await WaitReadyAsync(a, Phase);
                await WaitReadyAsync(b, Phase);
                var clock = Stopwatch.StartNew();
                await broker.PublishManyAsync(queue, jobs);
                // Prefetch follows pipeline capacity (4 each): the rest must still be waiting in the queue.
                (uint ready, _) = await broker.CountAsync(queue);
                Assert.True(ready + Outputs(root) + 8 >= 200, $"daemons hoard messages: {ready} ready, {Outputs(root)} done");

                await WaitUntilAsync(() => Outputs(root) >= 60, () => $"{Outputs(root)} outputs; log a:\n{a.Log()}");
                a.KillHard();
                // Everything a finished before it died: redeliveries of these must be recognised, not redone.
                atKill = FinishedOutputs(root);
                output.WriteLine($"SIGKILL daemon a at {Outputs(root)} outputs, {clock.Elapsed.TotalSeconds:0.0} s");
                a.Dispose();
                a = StartDaemon(work, "a", q);
                await WaitUntilAsync(async () => { await events.PollAsync(); return events.Completed.Count == 200; },
                    () => $"{events.Completed.Count} completed events, {Outputs(root)} outputs; log b:\n{b.Log()}");
                output.WriteLine($"200 jobs in {clock.Elapsed.TotalSeconds:0.0} s with a SIGKILL and restart ({events.Total} events, {events.Total - 200} repeats)");
                Assert.True(a.Terminate(TimeSpan.FromSeconds(40)) && b.Terminate(TimeSpan.FromSeconds(40)), "daemons did not stop on SIGTERM");
                Assert.Equal(0, a.ExitCode);
                Assert.Equal(0, b.ExitCode);
            }
            finally
            {
                a.Dispose();
            }
            // Consumers gone: anything unacked would be back in the queue now.
            Assert.Equal((0u, 0u), await broker.CountAsync(queue));
            Assert.Equal(0u, (await broker.CountAsync(queue + ".dead")).Ready);
            await events.PollAsync();
            Assert.Empty(events.Failed);
            Assert.Equal(jobs.Select(j => j.Id).Order(), events.Completed.Order());
            // At least once, but computed once: per id at most one job.completed that is not flagged duplicate, and
            // an id with only duplicates was finished by a before it died (its event lost with it).
            foreach (var group in events.Completions.GroupBy(c => c.Id))
            {
                int fresh = group.Count(c => !c.Duplicate);
                Assert.True(fresh <= 1, $"{group.Key}: {fresh} job.completed events without \"duplicate\": true (computed more than once)");
                Assert.True(fresh == 1 || atKill.ContainsKey(group.Key), $"{group.Key}: only duplicate completions, yet a had not finished it");
            }
            // No output written twice: what a had finished when it died is untouched (same write times, same sidecar).
            var atEnd = FinishedOutputs(root);
            foreach (var (id, before) in atKill)
                Assert.True(atEnd[id] == before, $"{id} was written again after daemon a died");
            output.WriteLine($"{events.Completions.Count(c => c.Duplicate)} duplicate completions; {atKill.Count} outputs checked for rewrites");
            AssertOutputs(root, jobs.Select(j => j.Id));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task BrokerRestartMidRunDaemonsReconnectAndFinish()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("restart");
        var jobs = Jobs(root, 60);
        string tap = await broker.TapEventsAsync(queue);
        var events = new EventLog(broker, tap);
        try
        {
            object q = Queue(broker.Uri, queue, root);
            using var a = StartDaemon(work, "a", q);
            using var b = StartDaemon(work, "b", q);
            await WaitReadyAsync(a, Phase);
            await WaitReadyAsync(b, Phase);
            await broker.PublishManyAsync(queue, jobs);
            await WaitUntilAsync(() => Outputs(root) >= 15, () => $"{Outputs(root)} outputs; log a:\n{a.Log()}");

            TestBroker.Control("stop_app");
            bool sawNotReady = false;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (!sawNotReady && DateTime.UtcNow < deadline)
            {
                sawNotReady = !await ReadyAsync(a) && !await ReadyAsync(b);
                await Task.Delay(100);
            }
            await Task.Delay(2000); // let the reconnect loops fail a few times
            TestBroker.Control("start_app");
            await broker.ReconnectAsync(TimeSpan.FromSeconds(30));
            Assert.True(sawNotReady, "readiness stayed true while the broker was down");

            await WaitUntilAsync(async () => { await events.PollAsync(); return events.Completed.Count == 60; },
                () => $"{events.Completed.Count} completed events, {Outputs(root)} outputs; log a:\n{a.Log()}");
            await WaitReadyAsync(a, TimeSpan.FromSeconds(30));
            await WaitReadyAsync(b, TimeSpan.FromSeconds(30));
            Assert.True(a.Terminate(TimeSpan.FromSeconds(40)) && b.Terminate(TimeSpan.FromSeconds(40)), "daemons did not stop on SIGTERM");
            Assert.Equal((0u, 0u), await broker.CountAsync(queue));
            Assert.Equal(0u, (await broker.CountAsync(queue + ".dead")).Ready);
            Assert.Empty(events.Failed);
            AssertOutputs(root, jobs.Select(j => j.Id));
            output.WriteLine($"{events.Total} events for 60 jobs; log a:\n{a.Log().Split('\n').Where(l => l.Contains("queue ")).Take(40).Aggregate("", (x, l) => x + l + "\n")}");
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    [Fact]
    public async Task PoisonMessagesAreDeadLetteredWithAReasonAndServiceContinues()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("poison");
        string inDir = Path.Combine(root, "in"), outDir = Path.Combine(root, "out");
        WatchFixtures.WritePng(Path.Combine(inDir, "good.png"), 8, 8, 1);
        WatchFixtures.WritePng(Path.Combine(work, "outside.png"), 8, 8, 2);
        File.CreateSymbolicLink(Path.Combine(inDir, "link.png"), Path.Combine(work, "outside.png"));
        Directory.CreateSymbolicLink(Path.Combine(root, "escape"), work);
        File.WriteAllBytes(Path.Combine(inDir, "corrupt.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 1, 2, 3, 4, 5]);
        File.WriteAllText(Path.Combine(root, "blocker"), "a file where the output wants a folder");
        string good = Path.Combine(inDir, "good.png"), o = Path.Combine(outDir, "x.png");

        var poison = new (string Label, byte[] Body, string Kind, string Reason)[]
        {
            ("malformed", Encoding.UTF8.GetBytes("{\"id\": \"m\", \"input\": "), "message", "not valid JSON"),
            ("traversal", Message("t", "../../etc/passwd", o), "path", "outside the configured roots"),
            ("absolute", Message("a", "/etc/hostname", o), "path", "outside the configured roots"),
            ("symlink-file", Message("s", Path.Combine(inDir, "link.png"), o), "path", "symlink"),
            ("symlink-dir-output", Message("s2", good, Path.Combine(root, "escape", "y.png")), "path", "symlink"),
            ("missing", Message("mi", Path.Combine(inDir, "nope.png"), o), "input", "does not exist"),
            ("corrupt", Message("c", Path.Combine(inDir, "corrupt.png"), o), "input", "corrupt.png"),
            ("model", Message("mo", good, o, model: "nope-x9"), "model", "nope-x9"),
            ("id-type", Encoding.UTF8.GetBytes($"{{\"id\": 5, \"input\": \"{good}\", \"output\": \"{o}\"}}"), "message", "'id' must be a string"),
            ("option-type", Message("ot", good, o, options: new { seed = "abc" }), "message", "options.seed"),
            ("noise-range", Message("nr", good, o, options: new { noise_scale = 2 }), "message", "noise_scale"),
            ("unknown-field", Encoding.UTF8.GetBytes($"{{\"id\": \"u\", \"input\": \"{good}\", \"output\": \"{o}\", \"noisescale\": 1}}"), "message", "unknown property 'noisescale'"),
            ("missing-field", Encoding.UTF8.GetBytes($"{{\"id\": \"mf\", \"input\": \"{good}\"}}"), "message", "'output' is missing"),
            ("oversized", Message("big", good, o, options: new { pad = new string('x', 70_000) }), "message", "the limit is 65536"),
            ("output-blocked", Message("ob", good, Path.Combine(root, "blocker", "z.png")), "retries-exhausted", "failed on 3 deliveries"),
        };
        try
        {
            using var d = StartDaemon(work, "poison", Queue(broker.Uri, queue, root, deliveryLimit: 2), threads: 2);
            await WaitReadyAsync(d, Phase);
            foreach (var p in poison) await broker.PublishAsync(queue, p.Body, p.Label);
            string tap = await broker.TapEventsAsync(queue);
            await broker.PublishAsync(queue, Message("good", good, Path.Combine(outDir, "good.png")), "good");

            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            await WaitUntilAsync(async () => { dead.AddRange(await broker.DrainAsync(queue + ".dead")); return dead.Count >= poison.Length && File.Exists(Path.Combine(outDir, "good.png.resshift.json")); },
                () => $"{dead.Count} dead letters: {string.Join(", ", dead.Select(x => x.Props.MessageId))}; log:\n{d.Log()}");
            foreach (var p in poison)
            {
                var (body, props) = Assert.Single(dead, x => x.Props.MessageId == p.Label);
                string? reason = TestBroker.Header(props, "x-resshift-error");
                output.WriteLine($"{p.Label}: [{TestBroker.Header(props, "x-resshift-error-kind")}] {reason}");
                Assert.Equal(p.Kind, TestBroker.Header(props, "x-resshift-error-kind"));
                Assert.Contains(p.Reason, reason);
                Assert.Equal(p.Body, body);
                Assert.True(long.Parse(TestBroker.Header(props, "x-resshift-delivery-count")!) <= 3);
            }
            Assert.False(File.Exists(o), "a poison message produced an output");
            Assert.True(await ReadyAsync(d), "daemon not ready after poison messages");
            Assert.Equal((0u, 1u), await broker.CountAsync(queue));
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, d.ExitCode);
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    private static void AssertOutputs(string root, IEnumerable<string> ids)
    {
        string outDir = Path.Combine(root, "out");
        var files = Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)).Where(f => !f.StartsWith('.')).Order().ToList();
        var expected = ids.SelectMany(id => new[] { id + ".png", id + ".png.resshift.json" }).Order().ToList();
        Assert.Equal(expected, files);
        var decoder = new ImageDecoder();
        foreach (string id in ids)
        {
            string outPng = Path.Combine(outDir, id + ".png");
            using (DecodedImage img = decoder.Decode(outPng)) Assert.Equal((32, 32), (img.Width, img.Height));
            using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(outPng + ".resshift.json"));
            string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, "in", id + ".png"))));
            Assert.Equal(sha, sidecar.RootElement.GetProperty("input").GetProperty("sha256").GetString());
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, Func<string> describe) => WaitUntilAsync(() => Task.FromResult(condition()), describe);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + Phase;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting: " + describe());
            await Task.Delay(200);
        }
    }
}
