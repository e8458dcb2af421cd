using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs.RabbitMq;

public enum OutcomeKind
{
    /// <summary>Output and sidecar written by this delivery.</summary>
    Completed,

    /// <summary>A redelivery whose output was already written for this exact input, model and options: nothing recomputed.</summary>
    AlreadyDone,

    /// <summary>Can never succeed as sent: dead-lettered with the reason.</summary>
    Rejected,

    /// <summary>Might succeed later (engine, I/O): requeued, bounded by the delivery limit.</summary>
    Transient,

    /// <summary>Stopped by drain before finishing: requeued for another consumer.</summary>
    Cancelled,
}

/// <summary>How one delivery ended, with what the event and dead letter need to say about it.</summary>
public sealed record JobOutcome(OutcomeKind Kind, string? Id, JobMessage? Message, string? Input, string? Output, string? Model)
{
    public JobReport? Report { get; init; }
    public string? Error { get; init; }

    /// <summary>message, path, model, input, engine, io, error.</summary>
    public string? ErrorKind { get; init; }
}
