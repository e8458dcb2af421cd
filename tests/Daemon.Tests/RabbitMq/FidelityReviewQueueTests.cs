using System.Text.Json;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>A real daemon on the real broker with a queue threshold: held outputs, the review queue and job.review events.</summary>
public class FidelityReviewQueueTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task AnOutputBelowTheQueuesThresholdIsHeldWithAReviewMessageAndEvent()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("review");
        string held = Path.Combine(root, "in", "held.png"), passed = Path.Combine(root, "in", "passed.png");
        WatchFixtures.WritePng(held, 8, 8, 1);
        WatchFixtures.WritePng(passed, 8, 8, 2);
        string heldOut = Path.Combine(root, "out", "held.png"), passedOut = Path.Combine(root, "out", "passed.png");
        // tiny-x4 (random weights) scores 10-20 dB: the queue's 30 dB floor holds its outputs unless a message opts out.
        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "tiny-x4", DeliveryLimit = 5, Fidelity = new { MinPsnrDb = 30.0 } };
        try
        {
            using var d = StartDaemon(work, "review", q);
            await WaitReadyAsync(d, Phase);
            string tap = await broker.TapEventsAsync(queue);
            byte[] heldBody = Message("h1", held, heldOut);
            await broker.PublishAsync(queue, heldBody, "h1");
            await broker.PublishAsync(queue, Message("p1", passed, passedOut, options: new { fidelity = new { } }), "p1");

            var events = new Dictionary<string, JsonElement>();
            var reviews = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            var deadline = DateTime.UtcNow + Phase;
            while (events.Count < 2 || reviews.Count < 1)
            {
                foreach (var (body, _) in await broker.DrainAsync(tap))
                {
                    JsonElement e = JsonDocument.Parse(body).RootElement.Clone();
                    events[e.GetProperty("id").GetString()!] = e;
                }
                reviews.AddRange(await broker.DrainAsync(queue + ".review"));
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{events.Count} events, {reviews.Count} review messages; log:\n{d.Log()}");
                await Task.Delay(200);
            }

            // The held job: job.review with the figures and where the output went; nothing at the requested path.
            JsonElement h = events["h1"];
            Assert.Equal("job.review", h.GetProperty("event").GetString());
            string reviewOut = Path.Combine(root, "out", "review", "held.png");
            Assert.Equal(reviewOut, h.GetProperty("review_output").GetString());
            double psnr = h.GetProperty("fidelity").GetProperty("psnr_db").GetDouble();
            Assert.True(psnr < 30, $"PSNR {psnr}");
            Assert.Contains("PSNR", h.GetProperty("error").GetString());
            Assert.False(File.Exists(heldOut), "a held output reached the requested path");
            Assert.True(File.Exists(reviewOut) && File.Exists(reviewOut + ".resshift.json"));
            using (JsonDocument record = JsonDocument.Parse(File.ReadAllText(reviewOut + ".fidelity.json")))
            {
                Assert.Equal(heldOut, record.RootElement.GetProperty("requested_output").GetString());
                Assert.Equal(30.0, record.RootElement.GetProperty("threshold").GetProperty("min_psnr_db").GetDouble());
            }
            // The review queue holds the original message with the figures in its headers.
            var (reviewBody, props) = Assert.Single(reviews);
            Assert.Equal(heldBody, reviewBody);
            Assert.Equal("h1", props.MessageId);
            Assert.Equal(psnr, double.Parse(TestBroker.Header(props, "x-resshift-psnr-db")!, System.Globalization.CultureInfo.InvariantCulture), 3);
            Assert.Equal(reviewOut, TestBroker.Header(props, "x-resshift-review-output"));
            Assert.Contains("output drifts from its input", TestBroker.Header(props, "x-resshift-review-reason"));

            // The message that opted out: delivered as usual, figures in the event.
            JsonElement p = events["p1"];
            Assert.Equal("job.completed", p.GetProperty("event").GetString());
            Assert.True(p.GetProperty("fidelity").GetProperty("psnr_db").GetDouble() > 0);
            Assert.True(File.Exists(passedOut));

            // Every message settled: nothing waiting, nothing dead-lettered.
            Assert.Equal(0u, (await broker.CountAsync(queue)).Ready);
            Assert.Equal(0u, (await broker.CountAsync(queue + ".dead")).Ready);
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, d.ExitCode);
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }

    /// <summary>The review folder beside a queue output follows the output's safe-path rules: no link, nothing foreign replaced.</summary>
    [Fact]
    public async Task AHeldOutputNeverReplacesAForeignFileNorFollowsALinkedReviewFolder()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("reviewsafe");
        string outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        string input = Path.Combine(root, "in", "a.png");
        WatchFixtures.WritePng(input, 8, 8, 1);
        // A file someone else put where the held output would go, and a review folder that is a link out of the roots.
        string foreign = Path.Combine(root, "out", "review", "a.png");
        Directory.CreateDirectory(Path.GetDirectoryName(foreign)!);
        File.WriteAllText(foreign, "not ours");
        Directory.CreateDirectory(Path.Combine(root, "linked"));
        File.CreateSymbolicLink(Path.Combine(root, "linked", "review"), outside);
        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "tiny-x4", DeliveryLimit = 2, Fidelity = new { MinPsnrDb = 30.0 } };
        try
        {
            using var d = StartDaemon(work, "reviewsafe", q);
            await WaitReadyAsync(d, Phase);
            await broker.PublishAsync(queue, Message("foreign", input, Path.Combine(root, "out", "a.png")), "foreign");
            await broker.PublishAsync(queue, Message("linked", input, Path.Combine(root, "linked", "a.png")), "linked");

            var dead = new List<(byte[] Body, RabbitMQ.Client.IReadOnlyBasicProperties Props)>();
            await WatchFixtures.WaitUntil(() =>
            {
                dead.AddRange(broker.DrainAsync(queue + ".dead").GetAwaiter().GetResult());
                return dead.Count >= 2;
            }, Phase, () => $"{dead.Count} dead letters; log:\n{d.Log()}");

            var (_, f) = Assert.Single(dead, x => x.Props.MessageId == "foreign");
            Assert.Equal("path", TestBroker.Header(f, "x-resshift-error-kind"));
            Assert.Contains("not replaced", TestBroker.Header(f, "x-resshift-error"));
            Assert.Equal("not ours", File.ReadAllText(foreign));
            Assert.False(File.Exists(foreign + ".resshift.json"), "a sidecar was written for a held output that was refused");
            Assert.False(File.Exists(Path.Combine(root, "out", "a.png")), "a held output reached the requested path");

            var (_, l) = Assert.Single(dead, x => x.Props.MessageId == "linked");
            Assert.Equal("path", TestBroker.Header(l, "x-resshift-error-kind"));
            Assert.Contains("review", TestBroker.Header(l, "x-resshift-error"));
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            Assert.Equal(0u, (await broker.CountAsync(queue)).Ready);
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }
}
