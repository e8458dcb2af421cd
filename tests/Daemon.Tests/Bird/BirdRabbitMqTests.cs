using System.Text.Json;
using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>A BIRD job through the real broker and the real daemon: `task` and `options.iterations` in the message.</summary>
public sealed class BirdRabbitMqTests
{
    [Fact]
    public async Task A_queue_message_with_a_task_is_restored_by_the_bird_model()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("bird");
        Directory.CreateDirectory(root);
        string input = BirdInputs.PhotoCrop(root, 32);
        string output = Path.Combine(root, "out", "restored.png");
        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "bird-tiny", DeliveryLimit = 3 };
        using var d = QueueFixtures.StartDaemon(work, "bird", q);
        try
        {
            await QueueFixtures.WaitReadyAsync(d, TimeSpan.FromSeconds(60));
            // Its own output name: the two run at once, and an existing output is refused before the input is looked at.
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { id = "b1", input, output = Path.Combine(root, "out", "wrong-size.png"), task = "sr8", options = new { iterations = 4, seed = 2 } });
            // sr8 takes the 4×4 low-resolution image for the 32² tiny model: the 32² input is refused with a clear reason…
            await broker.PublishAsync(queue, body, "b1");
            string lr = BirdInputs.PhotoCrop(root, 4, "lr.png");
            byte[] good = JsonSerializer.SerializeToUtf8Bytes(new { id = "b2", input = lr, output, task = "sr8", options = new { iterations = 4, seed = 2 } });
            await broker.PublishAsync(queue, good, "b2");
            await WaitUntil(() => File.Exists(output + ".resshift.json") || d.HasExited, TimeSpan.FromSeconds(90), d.Log);
            using var sidecar = JsonDocument.Parse(File.ReadAllText(output + ".resshift.json"));
            Assert.Equal("sr8", sidecar.RootElement.GetProperty("bird").GetProperty("task").GetString());
            Assert.Equal(4, sidecar.RootElement.GetProperty("bird").GetProperty("iterations").GetInt32());
            Assert.Equal(lr, sidecar.RootElement.GetProperty("input").GetProperty("name").GetString()); // as image jobs: the input as the message named it
            await WaitUntil(() => d.Log().Contains("accepts only", StringComparison.Ordinal) || d.Log().Contains("low-resolution image", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), d.Log);
            Assert.True(d.Terminate(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }
}
