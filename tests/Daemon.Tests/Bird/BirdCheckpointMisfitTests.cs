using System.Text.Json;
using ResShift.Daemon.Tests.RabbitMq;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Noise;
using static ResShift.Daemon.Tests.Serve.WatchFixtures;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>
/// A checkpoint beside the output with this job's key, length and step count but arrays of other shapes (written
/// by another build, or forged): the real daemon behind the real broker ignores it, says so, and restores from
/// iteration 0, instead of failing every delivery until the message is dead-lettered.
/// </summary>
public sealed class BirdCheckpointMisfitTests
{
    [Fact]
    public async Task A_checkpoint_with_the_right_keys_but_wrong_shapes_is_ignored_and_the_job_starts_fresh()
    {
        await using TestBroker broker = await TestBroker.ConnectAsync();
        string work = Repo.TempDir(), root = Path.Combine(work, "root"), queue = TestBroker.UniqueQueue("birdckpt");
        Directory.CreateDirectory(root);
        string input = BirdInputs.PhotoCrop(root, 32);
        string output = Path.Combine(root, "out", "restored.png");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        const ulong seed = 3;
        const int total = 4, d = 3 * 32 * 32;

        // The job key exactly as the job derives it (input bytes, seed, task), so only the shapes are wrong.
        ulong key = NoiseField.DeriveJobKey(seed, ContentKey.Of(File.ReadAllBytes(input)).NoiseKey ^ (ulong)BirdTask.Denoise);
        var forged = new BirdCheckpoint(2, 0.5, new float[d / 4], new float[d / 4], new float[d / 4], null, null, null, null)
        {
            JobKey = key, TotalIterations = total, Losses = [0.7, 0.5],
        };
        await forged.SaveAsync(output + ".bird-checkpoint", CancellationToken.None);

        object q = new { Uri = broker.Uri, Queue = queue, Roots = new[] { root }, Model = "bird-tiny", DeliveryLimit = 3 };
        using var daemon = QueueFixtures.StartDaemon(work, "birdckpt", q);
        try
        {
            await QueueFixtures.WaitReadyAsync(daemon, TimeSpan.FromSeconds(60));
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { id = "c1", input, output, task = "denoise", options = new { iterations = total, seed } });
            await broker.PublishAsync(queue, body, "c1");
            await WaitUntil(() => File.Exists(output + ".resshift.json") || daemon.HasExited || daemon.Log().Contains("dead-letter", StringComparison.OrdinalIgnoreCase),
                TimeSpan.FromSeconds(120), daemon.Log);

            Assert.True(File.Exists(output + ".resshift.json"), daemon.Log());
            using var sidecar = JsonDocument.Parse(File.ReadAllText(output + ".resshift.json"));
            Assert.Equal(0, sidecar.RootElement.GetProperty("bird").GetProperty("resumed_from").GetInt32());
            Assert.Equal(total, sidecar.RootElement.GetProperty("bird").GetProperty("losses").GetArrayLength()); // all four run here, none taken from the forgery
            Assert.Contains("z holds 768 values, this job needs 3072", sidecar.RootElement.GetProperty("bird").GetProperty("checkpoint_ignored").GetString());
            Assert.Contains("checkpoint restored.png.bird-checkpoint ignored, starting from iteration 0", daemon.Log());
            Assert.True(File.Exists(output));
            // Removed with the finished job (just after the sidecar is written).
            await WaitUntil(() => !File.Exists(output + ".bird-checkpoint"), TimeSpan.FromSeconds(30), daemon.Log);
            Assert.Equal(0u, (await broker.CountAsync(queue + ".dead")).Ready);
            Assert.True(daemon.Terminate(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await broker.DeleteQueuesAsync(queue);
        }
    }
}
