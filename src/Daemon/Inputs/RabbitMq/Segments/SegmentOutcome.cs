namespace ResShift.Daemon.Inputs.RabbitMq.Segments;

public enum SegmentOutcomeKind
{
    /// <summary>Restored and committed now; other segments are still missing.</summary>
    Restored,

    /// <summary>Already committed (a redelivered or duplicate message), others still missing: acked without work.</summary>
    AlreadyCommitted,

    /// <summary>This worker found every segment committed and delivered the output.</summary>
    Assembled,

    /// <summary>The output was already delivered for this plan (a redelivery after the assembler's ack was lost, or a second assembler).</summary>
    AlreadyAssembled,

    /// <summary>Nothing to do: the plan was replaced or removed, or the job already failed on another segment.</summary>
    Dropped,

    /// <summary>Can never succeed: dead-lettered, and the job reported failed.</summary>
    Rejected,

    /// <summary>May succeed on another try (or another daemon): requeued.</summary>
    Transient,

    /// <summary>Stopped by a drain: requeued.</summary>
    Cancelled,
}

/// <summary>How one segment delivery ended.</summary>
public sealed record SegmentOutcome(SegmentOutcomeKind Kind, SegmentMessage? Message)
{
    public string? Error { get; init; }
    public string? ErrorKind { get; init; }

    /// <summary>The segment was computed by this delivery (a segment event is published).</summary>
    public bool RestoredNow { get; init; }
    public double Seconds { get; init; }
    public string? Model { get; init; }
}
