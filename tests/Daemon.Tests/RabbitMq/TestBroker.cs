using System.Diagnostics;
using System.Text;
using RabbitMQ.Client;
using ResShift.Daemon.Tests.Restore;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>
/// The private broker that scripts/rabbitmq-test-server.sh runs for the suite. Missing or unreachable is a
/// failure with instructions, never a skip: these tests are the only proof the queue intake works.
/// </summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private IConnection _connection;
    private IChannel _channel;

    public string Uri { get; }

    private TestBroker(string uri, IConnection c, IChannel ch)
    {
        Uri = uri;
        _connection = c;
        _channel = ch;
    }

    public static string UriFile => Path.Combine(Repo.Root(), "out", "rabbitmq", "uri");

    public static async Task<TestBroker> ConnectAsync()
    {
        string? uri = Environment.GetEnvironmentVariable("RESSHIFT_TEST_AMQP_URI");
        if (uri is null && File.Exists(UriFile)) uri = File.ReadAllText(UriFile).Trim();
        if (uri is null)
            throw new InvalidOperationException($"no test broker: {UriFile} is missing. Run the suite with scripts/test.sh (it starts one), or `scripts/rabbitmq-test-server.sh start` first.");
        try
        {
            var (c, ch) = await OpenAsync(uri);
            return new TestBroker(uri, c, ch);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"test broker at {uri} is not reachable ({e.Message}). Start it with `scripts/rabbitmq-test-server.sh start`.", e);
        }
    }

    private static async Task<(IConnection, IChannel)> OpenAsync(string uri)
    {
        var f = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "resshift-tests" };
        IConnection c = await f.CreateConnectionAsync();
        IChannel ch = await c.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return (c, ch);
    }

    /// <summary>After a broker restart: a fresh connection for the test's own use.</summary>
    public async Task ReconnectAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await _connection.DisposeAsync();
                (_connection, _channel) = await OpenAsync(Uri);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    public static string UniqueQueue(string what) => $"test.{what}.{Guid.NewGuid():N}"[..40];

    /// <summary>A durable queue bound to the events exchange (survives a broker restart, unlike an exclusive one).</summary>
    public async Task<string> TapEventsAsync(string queue, string exchange = "resshift.events", params string[] moreKeys)
    {
        string tap = queue + ".tap";
        await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true);
        await _channel.QueueDeclareAsync(tap, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await _channel.QueueBindAsync(tap, exchange, "job.#");
        foreach (string key in moreKeys) await _channel.QueueBindAsync(tap, exchange, key);
        return tap;
    }

    public async Task PublishAsync(string queue, byte[] body, string? messageId = null) =>
        await _channel.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { DeliveryMode = DeliveryModes.Persistent, MessageId = messageId, ContentType = "application/json" }, body);

    public async Task PublishManyAsync(string queue, IEnumerable<(string Id, byte[] Body)> messages)
    {
        foreach (var chunk in messages.Chunk(50))
            await Task.WhenAll(chunk.Select(m => PublishAsync(queue, m.Body, m.Id)));
    }

    /// <summary>Messages ready in the queue and its consumer count (AMQP queue.declare-ok: no management plugin needed).</summary>
    public async Task<(uint Ready, uint Consumers)> CountAsync(string queue)
    {
        QueueDeclareOk ok = await _channel.QueueDeclarePassiveAsync(queue);
        return (ok.MessageCount, ok.ConsumerCount);
    }

    /// <summary>Takes every message now in <paramref name="queue"/> (acked).</summary>
    public async Task<List<(byte[] Body, IReadOnlyBasicProperties Props)>> DrainAsync(string queue)
    {
        var list = new List<(byte[], IReadOnlyBasicProperties)>();
        while (await _channel.BasicGetAsync(queue, autoAck: true) is { } m) list.Add((m.Body.ToArray(), m.BasicProperties));
        return list;
    }

    public static string? Header(IReadOnlyBasicProperties p, string name) =>
        p.Headers is not null && p.Headers.TryGetValue(name, out object? v) ? v switch { byte[] b => Encoding.UTF8.GetString(b), null => null, _ => v.ToString() } : null;

    public async Task DeleteQueuesAsync(string queue)
    {
        foreach (string q in new[] { queue, queue + ".dead", queue + ".review", queue + ".segments", queue + ".tap" })
        {
            try { await _channel.QueueDeleteAsync(q); } catch (Exception) { await ReconnectAsync(TimeSpan.FromSeconds(10)); }
        }
        try { await _channel.ExchangeDeleteAsync(queue + ".dlx"); } catch (Exception) { await ReconnectAsync(TimeSpan.FromSeconds(10)); }
    }

    /// <summary>stop_app / start_app through the script: the node stays up, the broker (and every connection) goes down.</summary>
    public static void Control(string action)
    {
        var psi = new ProcessStartInfo(Path.Combine(Repo.Root(), "scripts", "rabbitmq-test-server.sh"), [action])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(90_000)) throw new TimeoutException($"rabbitmq-test-server.sh {action} did not finish in 90 s");
        if (p.ExitCode != 0) throw new InvalidOperationException($"rabbitmq-test-server.sh {action} failed ({p.ExitCode}): {err}");
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
