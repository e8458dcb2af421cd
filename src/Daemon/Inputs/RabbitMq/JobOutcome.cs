using ResShift.Pipeline.Processing;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>How one delivery ended, with what the event and dead letter need to say about it.</summary>
public sealed record JobOutcome(OutcomeKind Kind, string? Id, JobMessage? Message, string? Input, string? Output, string? Model)
{
    public JobReport? Report { get; init; }
    public string? Error { get; init; }

    /// <summary>message, path, model, input, engine, output, io, error (see <see cref="ErrorClassifier"/>).</summary>
    public string? ErrorKind { get; init; }

    /// <summary>Where a <see cref="OutcomeKind.Review"/> job's output was written instead of <see cref="Output"/>.</summary>
    public string? HeldOutput { get; init; }

    /// <summary>A video job planned for many daemons: these segment messages are published (confirmed) before the ack, and no job event yet.</summary>
    public IReadOnlyList<Segments.SegmentMessage>? Split { get; init; }
}
