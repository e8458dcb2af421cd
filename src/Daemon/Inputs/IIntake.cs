namespace ResShift.Daemon.Inputs;

/// <summary>
/// One source of jobs (a watch root, a queue; later video, S3, HTTP). The host runs every intake the same way:
/// <see cref="RunAsync"/> until SIGTERM, then <see cref="ReturnUnstarted"/>, <see cref="WaitIdleAsync"/> within the
/// drain budget, <see cref="CancelAll"/> after it, and disposal last.
/// </summary>
public interface IIntake : IAsyncDisposable
{
    /// <summary>For status and logs: "folder:/srv/archive", "rabbitmq:resshift.jobs".</summary>
    string Describe { get; }

    /// <summary>The /v1/status queue-depth key its claims are counted under ("claimed" files, "unacked" messages).</summary>
    string ClaimsName { get; }

    /// <summary>Null while the intake can take work; otherwise why not (part of readiness).</summary>
    string? Problem { get; }

    /// <summary>Jobs taken from the source and not yet settled.</summary>
    int Claimed { get; }

    long Completed { get; }

    long Failed { get; }

    /// <summary>Raised after each job settles (feeds the watchdog and the sd_notify status line).</summary>
    event Action? Progress;

    /// <summary>Takes work until <paramref name="stop"/>, then returns (claims already taken keep running).</summary>
    Task RunAsync(CancellationToken stop);

    /// <summary>Drain: claims whose job has not started go back to their source now.</summary>
    void ReturnUnstarted();

    /// <summary>After the drain budget: everything still claimed is cancelled and goes back.</summary>
    void CancelAll();

    /// <summary>Completes when nothing is claimed (signalled, not polled).</summary>
    Task WaitIdleAsync(CancellationToken ct);
}
