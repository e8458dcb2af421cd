using System.Text;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using ResShift.Daemon.Configuration;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// Declares, idempotently, what one queue needs: the durable quorum work queue with its delivery limit and
/// dead-letter exchange, the segments queue of split videos (same arguments), the dead-letter exchange and queue, the review queue (fidelity guard) and the events exchange. Every daemon declares the
/// same arguments, so whichever starts first creates them and the rest just confirm.
/// </summary>
public static class QueueTopology
{
    public static async Task DeclareAsync(IChannel channel, RabbitMqSettings s, Version? brokerVersion, ILogger log, CancellationToken ct)
    {
        await channel.ExchangeDeclareAsync(s.DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueDeclareAsync(s.DeadLetterQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueBindAsync(s.DeadLetterQueue, s.DeadLetterExchange, "", cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueDeclareAsync(s.ReviewQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(s.EventsExchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueDeclareAsync(s.Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: WorkQueueArguments(s, brokerVersion), cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueDeclareAsync(s.SegmentsQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: WorkQueueArguments(s, brokerVersion), cancellationToken: ct).ConfigureAwait(false);
        if (!SupportsPerQueueConsumerTimeout(brokerVersion))
            log.LogInformation("queue {Queue}: broker {Version} has no per-queue consumer timeout; its broker-wide consumer_timeout applies (default 30 min; see src/Daemon/Inputs/RabbitMq/README.md)",
                s.Queue, brokerVersion?.ToString() ?? "(unknown version)");
    }

    /// <summary>The work queue's arguments; a redeclare with different ones fails with PRECONDITION_FAILED, which names them.</summary>
    public static Dictionary<string, object?> WorkQueueArguments(RabbitMqSettings s, Version? brokerVersion)
    {
        var args = new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-delivery-limit"] = s.DeliveryLimit,
            ["x-dead-letter-exchange"] = s.DeadLetterExchange,
        };
        if (SupportsPerQueueConsumerTimeout(brokerVersion)) args["x-consumer-timeout"] = (long)s.ConsumerTimeoutMinutes * 60_000;
        return args;
    }

    /// <summary>x-consumer-timeout as a queue argument arrived in RabbitMQ 3.12; 3.10 (Debian 12) only has the broker-wide consumer_timeout.</summary>
    public static bool SupportsPerQueueConsumerTimeout(Version? v) => v is not null && v >= new Version(3, 12);

    public static Version? BrokerVersion(IConnection c) =>
        c.ServerProperties is { } p && p.TryGetValue("version", out object? raw) && raw is byte[] b
            && Version.TryParse(Encoding.UTF8.GetString(b).Split('+', '-')[0], out Version? v) ? v : null;
}
