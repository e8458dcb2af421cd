using RabbitMQ.Client.Events;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// What the daemon keeps of a delivery. The client library reuses the body's buffer once the handler returns,
/// so the body is copied; the session is kept because the delivery tag is only valid on the channel it came on.
/// </summary>
public sealed class Delivery
{
    public required BrokerSession Session { get; init; }
    public required ulong Tag { get; init; }
    public required byte[] Body { get; init; }
    public required bool Redelivered { get; init; }

    /// <summary>Earlier deliveries of this message that ended in a requeue (quorum queues' x-delivery-count).</summary>
    public required long DeliveryCount { get; init; }
    public IDictionary<string, object?>? Headers { get; init; }
    public string? ContentType { get; init; }
    public string? ContentEncoding { get; init; }
    public string? MessageId { get; init; }
    public string? CorrelationId { get; init; }

    public static Delivery Copy(BasicDeliverEventArgs e, BrokerSession session)
    {
        var p = e.BasicProperties;
        IDictionary<string, object?>? headers = p.Headers is null ? null : new Dictionary<string, object?>(p.Headers);
        long count = headers is not null && headers.TryGetValue("x-delivery-count", out object? c) && c is not null ? Convert.ToInt64(c) : 0;
        return new Delivery
        {
            Session = session, Tag = e.DeliveryTag, Body = e.Body.ToArray(), Redelivered = e.Redelivered, DeliveryCount = count,
            Headers = headers, ContentType = p.ContentType, ContentEncoding = p.ContentEncoding, MessageId = p.MessageId, CorrelationId = p.CorrelationId,
        };
    }
}
