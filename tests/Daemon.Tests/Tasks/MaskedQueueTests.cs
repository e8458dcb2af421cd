using System.Text.Json;
using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using ResShift.Daemon.Tests.Serve;
using static ResShift.Daemon.Tests.RabbitMq.QueueFixtures;

namespace ResShift.Daemon.Tests.Tasks;

/// <summary>A real daemon on the real broker with an inpainting model: "mask" in the message, refusals with reasons.</summary>
public class MaskedQueueTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(150);
    private static string Parity(string file) => Path.Combine(Repo.Engines, "tiny-inpaint", "parity", file);

    private static byte[] Masked(string id, string input, string output, string? mask) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["id"] = id, ["input"] = input, ["output"] = output, ["options"] = new { noise_scale = 0.0 }, ["mask"] = mask,
        });

    [Fact]
    public async Task MessagesWithAMaskAreInpaintedAndMissingOrWrongMasksFailWithTheirReason()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("mask");
        string input = Path.Combine(root, "in", "photo.png"), mask = Path.Combine(root, "in", "photo-mask.png"), wrong = Path.Combine(root, "in", "wide-mask.png");
        Directory.CreateDirectory(Path.GetDirectoryName(input)!);
        File.Copy(Parity("a_lq.png"), input);
        File.Copy(Parity("a_lq.mask.png"), mask);
        File.Copy(Parity("b_lq.mask.png"), wrong);
        string outside = Path.Combine(Repo.TempDir(), "elsewhere.png");
        File.Copy(Parity("a_lq.mask.png"), outside);
        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "tiny-inpaint", DeliveryLimit = 5 };
        try
        {
            using var d = StartDaemon(work, "mask", q);
            await WaitReadyAsync(d, Phase);
            string tap = await broker.TapEventsAsync(queue);
            string Out(string name) => Path.Combine(root, "out", name + ".png");
            await broker.PublishAsync(queue, Masked("ok", input, Out("ok"), mask), "ok");
            await broker.PublishAsync(queue, Masked("none", input, Out("none"), null), "none");
            await broker.PublishAsync(queue, Masked("wrong", input, Out("wrong"), wrong), "wrong");
            await broker.PublishAsync(queue, Masked("gone", input, Out("gone"), Path.Combine(root, "in", "nope.png")), "gone");
            await broker.PublishAsync(queue, Masked("outside", input, Out("outside"), outside), "outside");

            var events = new Dictionary<string, JsonElement>();
            var deadline = DateTime.UtcNow + Phase;
            while (events.Count < 5)
            {
                foreach (var (body, _) in await broker.DrainAsync(tap))
                {
                    JsonElement e = JsonDocument.Parse(body).RootElement.Clone();
                    events[e.GetProperty("id").GetString()!] = e;
                }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{events.Count} events; log:\n{d.Log()}");
                await Task.Delay(200);
            }
            string Error(string id) => events[id].GetProperty("error").GetString()!;
            Assert.Equal("job.completed", events["ok"].GetProperty("event").GetString());
            foreach (string id in new[] { "none", "wrong", "gone", "outside" })
            {
                Assert.Equal("job.failed", events[id].GetProperty("event").GetString());
                Assert.False(File.Exists(Out(id)), $"{id} wrote an output");
            }
            Assert.Contains("needs a mask for each image", Error("none"));
            Assert.Contains($"its mask {wrong} is 400×200 but the image is 256×256", Error("wrong"));
            Assert.Contains("mask '" + Path.Combine(root, "in", "nope.png") + "' for input", Error("gone"));
            Assert.Contains($"mask: '{outside}' resolves to {outside}, outside the configured roots", Error("outside"));
            Assert.Equal(File.ReadAllBytes(Parity("a_lq.png")), File.ReadAllBytes(input)); // the original stays

            float[] original = TaskParityTests.Rgb(input), m = TaskParityTests.Rgb(mask), restored = TaskParityTests.Rgb(Out("ok"));
            int plane = 256 * 256, changed = 0, unknown = 0;
            for (int i = 0; i < 3 * plane; i++)
            {
                if (m[i % plane] == 0f) Assert.True(restored[i] == original[i], $"known value {i} changed");
                else if (++unknown > 0 && restored[i] != original[i]) changed++;
            }
            Assert.True(changed > unknown * 0.9, $"only {changed} of {unknown} unknown values changed");
            Assert.Equal(0u, (await broker.CountAsync(queue)).Ready);
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }
}
