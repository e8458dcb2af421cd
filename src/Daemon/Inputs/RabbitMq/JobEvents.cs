using System.Text.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// Events on the events exchange: routing key <c>job.completed</c>, <c>job.review</c> (written to review_output,
/// below its fidelity threshold) or <c>job.failed</c>, a JSON body with id, input, output, model, fidelity, timings
/// and error. At least once: a message redelivered after its output was written
/// produces job.completed again (with "duplicate": true), so a consumer that needs exactly-once keys on id.
/// </summary>
public static class JobEvents
{
    public const string Completed = "job.completed";
    public const string Failed = "job.failed";
    public const string Review = "job.review";

    /// <summary>A segment of a split video job was restored and committed (not under job.#: a job's own events stay job.completed/failed, once per job).</summary>
    public const string Segment = "video.segment";

    public static string RoutingKey(JobOutcome o) => o.Kind switch
    {
        OutcomeKind.Completed or OutcomeKind.AlreadyDone => Completed,
        OutcomeKind.Review => Review,
        _ => Failed,
    };

    public static byte[] Body(JobOutcome o, string queue)
    {
        var timings = new JsonObject();
        if (o.Report is { } r)
        {
            foreach (var (stage, seconds) in r.StageSeconds.OrderBy(s => s.Key, StringComparer.Ordinal)) timings[stage] = Math.Round(seconds, 6);
            timings["total"] = Math.Round(r.TotalSeconds > 0 ? r.TotalSeconds : r.ElapsedSeconds, 6);
        }
        var doc = new JsonObject
        {
            ["event"] = RoutingKey(o),
            ["id"] = o.Id,
            ["queue"] = queue,
            ["input"] = o.Input ?? o.Message?.Input,
            ["output"] = o.Output ?? o.Message?.Output,
            ["model"] = o.Model,
            ["duplicate"] = o.Kind == OutcomeKind.AlreadyDone,
            ["review_output"] = o.HeldOutput,
            ["fidelity"] = o.Report?.Fidelity is { } f
                ? new JsonObject { ["psnr_db"] = Math.Round(f.PsnrDb, 4), ["ssim"] = Math.Round(f.Ssim, 6), ["method"] = f.Method }
                : null,
            ["timings_seconds"] = timings,
            ["error"] = o.Error,
            ["error_kind"] = o.ErrorKind,
            ["host"] = Environment.MachineName,
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
        };
        return JsonSerializer.SerializeToUtf8Bytes(doc);
    }

    public static byte[] SegmentBody(Segments.SegmentOutcome o, string queue, string? input, string? output) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["event"] = Segment,
            ["id"] = o.Message?.MessageId,
            ["job_id"] = o.Message?.JobId,
            ["plan_id"] = o.Message?.PlanId,
            ["segment"] = o.Message?.Segment,
            ["segments"] = o.Message?.Segments,
            ["queue"] = queue,
            ["input"] = input,
            ["output"] = output,
            ["model"] = o.Model,
            ["seconds"] = Math.Round(o.Seconds, 3),
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
        });

    public static BasicProperties SegmentProperties(Segments.SegmentOutcome o) => new()
    {
        ContentType = "application/json",
        DeliveryMode = DeliveryModes.Persistent,
        MessageId = o.Message?.MessageId,
        Type = Segment,
        Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
    };

    public static BasicProperties Properties(JobOutcome o) => new()
    {
        ContentType = "application/json",
        DeliveryMode = DeliveryModes.Persistent,
        MessageId = o.Id,
        Type = RoutingKey(o),
        Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
    };
}
