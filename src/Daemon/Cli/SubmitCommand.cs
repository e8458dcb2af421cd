using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using ResShift.Daemon.Inputs.RabbitMq;
using ResShift.Daemon.Configuration;

namespace ResShift.Daemon.Cli;

/// <summary>
/// <c>resshift submit --queue NAME [--uri AMQP] IN... --output-dir DIR [--model ID] [--seed N] [--noise-scale S]</c>:
/// one persistent, broker-confirmed message per input; prints one id per line. An id is derived from the input's
/// bytes and the output path, so submitting the same job twice gives the same id (and the daemon's idempotency
/// check makes the second a no-op).
/// </summary>
public static class SubmitCommand
{
    public const string UriVariable = "RESSHIFT_AMQP_URI";

    public static Command Create()
    {
        var queue = new Option<string>("--queue") { Description = "Queue to publish to (it must exist: a daemon declares it)", Required = true };
        var uri = new Option<string?>("--uri") { Description = $"Broker (default ${UriVariable}, else amqp://guest:guest@127.0.0.1:5672/)" };
        var inputs = new Argument<string[]>("IN") { Description = "Image files", Arity = ArgumentArity.OneOrMore };
        var outputDir = new Option<string>("--output-dir") { Description = "Folder for the results (same file names)", Required = true };
        var model = new Option<string?>("--model") { Description = "Model id (default: the queue's)" };
        var seed = new Option<ulong?>("--seed") { Description = "Noise seed" };
        var noise = new Option<double?>("--noise-scale") { Description = "0 = deterministic, 1 = the model's sampling noise" };
        var c = new Command("submit", "Queue images for `resshift serve` consumers over RabbitMQ") { queue, uri, inputs, outputDir, model, seed, noise };
        c.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(noise) is { } s && !(s >= 0 && s <= 1)) throw new ArgumentException("--noise-scale must be in [0, 1]");
            string broker = parse.GetValue(uri) ?? Environment.GetEnvironmentVariable(UriVariable) ?? "amqp://guest:guest@127.0.0.1:5672/";
            var messages = BuildMessages(parse.GetValue(inputs)!, parse.GetValue(outputDir)!, parse.GetValue(model), parse.GetValue(seed), parse.GetValue(noise));
            await PublishAsync(broker, parse.GetValue(queue)!, messages, parse.InvocationConfiguration.Output, ct).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return c;
    }

    public static List<(string Id, byte[] Body)> BuildMessages(IEnumerable<string> inputs, string outputDir, string? model, ulong? seed, double? noiseScale)
    {
        string dir = Path.GetFullPath(outputDir);
        var list = new List<(string, byte[])>();
        foreach (string input in inputs)
        {
            string full = Path.GetFullPath(input);
            if (!File.Exists(full)) throw new FileNotFoundException($"input not found: {input}");
            string output = Path.Combine(dir, Path.GetFileName(full));
            string id = JobId(File.ReadAllBytes(full), output);
            var options = new JsonObject();
            if (seed is { } sd) options["seed"] = sd;
            if (noiseScale is { } ns) options["noise_scale"] = ns;
            var msg = new JsonObject { ["id"] = id, ["input"] = full, ["output"] = output };
            if (model is not null) msg["model"] = model;
            if (options.Count > 0) msg["options"] = options;
            list.Add((id, JsonSerializer.SerializeToUtf8Bytes(msg)));
        }
        return list;
    }

    /// <summary>sha256 over the input's bytes and the output path: the same job always gets the same id.</summary>
    public static string JobId(byte[] content, string output)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(SHA256.HashData(content));
        h.AppendData(Encoding.UTF8.GetBytes(output));
        return Convert.ToHexStringLower(h.GetHashAndReset())[..32];
    }

    public static async Task PublishAsync(string uri, string queue, IReadOnlyList<(string Id, byte[] Body)> messages, TextWriter output, CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "resshift-submit" };
        await using IConnection connection = await factory.CreateConnectionAsync(ct).ConfigureAwait(false);
        await using (IChannel probe = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false))
        {
            try
            {
                await probe.QueueDeclarePassiveAsync(queue, ct).ConfigureAwait(false);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                // Declaring it here could pick arguments that differ from the daemons' (delivery limit, dead-lettering).
                throw new InvalidOperationException($"queue '{queue}' does not exist on {RabbitMqSettings.Redact(uri)}; start a `resshift serve` consuming it first");
            }
        }
        await using IChannel channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct).ConfigureAwait(false);
        // In flight together, each awaited for its confirm: fast, and an error names the message it hit.
        const int window = 64;
        for (int start = 0; start < messages.Count; start += window)
        {
            var batch = messages.Skip(start).Take(window).ToList();
            await Task.WhenAll(batch.Select(m => channel.BasicPublishAsync("", queue, mandatory: true,
                new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = m.Id }, m.Body, ct).AsTask())).ConfigureAwait(false);
            foreach (var m in batch) output.WriteLine(m.Id);
        }
    }
}
