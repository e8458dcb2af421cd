using RabbitMQ.Client;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// The copy of a refused message that goes to <c>&lt;queue&gt;.dead</c>: the original body and properties, plus
/// headers saying why. A plain reject cannot add headers, so the daemon publishes this copy (confirmed) and only
/// then acks the original: a crash in between leaves a duplicate in the dead queue, never a lost message.
/// </summary>
public static class DeadLetter
{
    public const string ErrorHeader = "x-resshift-error";
    public const string KindHeader = "x-resshift-error-kind";
    public const string QueueHeader = "x-resshift-queue";
    public const string IdHeader = "x-resshift-id";
    public const string TimeHeader = "x-resshift-failed-at";
    public const string DeliveryCountHeader = "x-resshift-delivery-count";

    public static BasicProperties Properties(Delivery d, JobOutcome o, string queue)
    {
        Dictionary<string, object?> headers = CopiedHeaders(d);
        headers[ErrorHeader] = Clip(o.Error ?? "unknown error", 2000);
        headers[KindHeader] = o.ErrorKind ?? "error";
        headers[QueueHeader] = queue;
        if (o.Id is not null) headers[IdHeader] = o.Id;
        headers[TimeHeader] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        headers[DeliveryCountHeader] = d.DeliveryCount + 1;
        return CopyProperties(d, headers);
    }

    /// <summary>The delivery's own headers, to add ours to (shared with <see cref="ReviewLetter"/>).</summary>
    internal static Dictionary<string, object?> CopiedHeaders(Delivery d) =>
        d.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(d.Headers);

    /// <summary>Persistent properties of a copy of <paramref name="d"/> with <paramref name="headers"/>.</summary>
    internal static BasicProperties CopyProperties(Delivery d, Dictionary<string, object?> headers) => new()
    {
        ContentType = d.ContentType,
        ContentEncoding = d.ContentEncoding,
        MessageId = d.MessageId,
        CorrelationId = d.CorrelationId,
        DeliveryMode = DeliveryModes.Persistent,
        Headers = headers,
    };

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "...";
}
