namespace ResShift.Daemon.Inputs;

/// <summary>
/// How a claimed job ended. Each intake settles every kind in one switch (folder: done/, failed/, back to inbox;
/// queue: ack, dead-letter, requeue), so a new ending is one value here and one case in each of those switches.
/// </summary>
public enum OutcomeKind
{
    /// <summary>Output and sidecar durably written by this job.</summary>
    Completed,

    /// <summary>The output was already written for this exact input, model and options: nothing recomputed.</summary>
    AlreadyDone,

    /// <summary>Written, but below its fidelity threshold: held apart (review/, the review queue) for a person to judge.</summary>
    Review,

    /// <summary>Can never succeed as asked: failed with the reason, never retried.</summary>
    Rejected,

    /// <summary>Might succeed later (engine, I/O, unexpected): retried within the intake's bound.</summary>
    Transient,

    /// <summary>Stopped by the drain (or not started when it began): handed back to the source untouched.</summary>
    Cancelled,
}

/// <summary>The end of one job run through the pipeline, with the error's class when it failed.</summary>
public sealed record JobResult(OutcomeKind Kind)
{
    public Pipeline.Processing.JobReport? Report { get; init; }
    public string? Error { get; init; }
    public ErrorClass? Class { get; init; }
    public Exception? Exception { get; init; }

    /// <summary>A <see cref="OutcomeKind.Review"/> job's output: the full path it was written to instead of the requested one.</summary>
    public string? HeldOutput { get; init; }

    public static JobResult Failure(Exception e)
    {
        ErrorClass c = ErrorClassifier.Classify(e);
        return new JobResult(c.Transient ? OutcomeKind.Transient : OutcomeKind.Rejected) { Error = e.Message, Class = c, Exception = e };
    }
}
