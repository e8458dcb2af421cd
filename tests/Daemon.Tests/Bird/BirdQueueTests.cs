using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ResShift.Daemon.Inputs;
using ResShift.Daemon.Inputs.RabbitMq;
using ResShift.Daemon.Serve;
using ResShift.Daemon.Tests.Restore;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Models;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Tests.Bird;

/// <summary>Queue messages for BIRD models: `task`, `mask` and `options.iterations`, parsed and run (no broker needed for the runner).</summary>
public sealed class BirdQueueTests
{
    private static JobMessage Parse(string json) => JobMessage.Parse(Encoding.UTF8.GetBytes(json), 65536);

    [Fact]
    public void Task_mask_and_iterations_are_read_and_checked()
    {
        JobMessage m = Parse("""{"id":"a","input":"i.png","output":"o.png","task":"inpaint","mask":"m.png","options":{"iterations":7}}""");
        Assert.Equal(("inpaint", "m.png", 7), (m.Task, m.Mask, m.Options.Iterations));
        var bad = Assert.ThrowsAny<Exception>(() => Parse("""{"id":"a","input":"i.png","output":"o.png","task":"sharpen"}"""));
        Assert.Contains("'task' must be one of deblur, sr8, denoise, inpaint, deblur-nonuniform", bad.Message);
        var badIt = Assert.ThrowsAny<Exception>(() => Parse("""{"id":"a","input":"i.png","output":"o.png","task":"sr8","options":{"iterations":0}}"""));
        Assert.Contains("'options.iterations' must be an integer in 1..100000", badIt.Message);
    }

    [Fact]
    public async Task An_inpaint_message_runs_on_the_bird_model_and_a_message_without_task_is_rejected()
    {
        string root = Repo.TempDir();
        string input = BirdInputs.PhotoCrop(root, 32);
        using (PlanarImage mask = PlanarImage.Allocate(32, 32, withAlpha: false))
        {
            Span<float> rgb = mask.Rgb;
            for (int i = 0; i < rgb.Length; i++) rgb[i] = (i % 1024) / 32 is >= 8 and < 16 ? 0f : 1f; // rows 8..15 missing
            new ImageEncoder().Encode(mask, new ImageMetadata(ChannelLayout.Rgb, 8, ImageFormat.Png), Path.Combine(root, "mask.png"));
        }
        ModelManifest m = new ModelRegistry(Repo.Engines).Get("bird-tiny");
        await using ModelPipeline mp = ModelPipeline.Open(m, new ServeSettings { MaxBatch = 2, Threads = 1 });
        var runner = new QueueJobRunner(new RabbitMqSettings { Roots = [root], Model = "bird-tiny" },
            new Dictionary<string, ModelPipeline> { ["bird-tiny"] = mp }, 50_000_000, NullLogger.Instance);

        string output = Path.Combine(root, "out", "restored.png");
        string body = JsonSerializer.Serialize(new { id = "j1", input, output, task = "inpaint", mask = Path.Combine(root, "mask.png"), options = new { iterations = 3, seed = 5 } });
        JobOutcome done = await runner.RunAsync(Encoding.UTF8.GetBytes(body), _ => { }, CancellationToken.None);
        Assert.True(done.Kind == OutcomeKind.Completed, done.Error);
        using var sidecar = JsonDocument.Parse(File.ReadAllText(output + ".resshift.json"));
        Assert.Equal("inpaint", sidecar.RootElement.GetProperty("bird").GetProperty("task").GetString());
        Assert.Equal(5UL, sidecar.RootElement.GetProperty("seed").GetUInt64());
        Assert.Equal(3, sidecar.RootElement.GetProperty("bird").GetProperty("iterations").GetInt32());

        string noTask = JsonSerializer.Serialize(new { id = "j2", input, output = Path.Combine(root, "out", "x.png") });
        JobOutcome rejected = await runner.RunAsync(Encoding.UTF8.GetBytes(noTask), _ => { }, CancellationToken.None);
        Assert.Equal(OutcomeKind.Rejected, rejected.Kind);
        Assert.Contains("needs 'task'", rejected.Error);
    }
}
