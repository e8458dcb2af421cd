using Microsoft.Extensions.Logging;
using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Whether a watch root can take work now, for /readyz, and the two pauses that stop its claiming: the root itself
/// unusable (gone, replaced, a scan that failed; a growing backoff up to 30 s) and results that cannot be written (a
/// full disk or an unwritable outbox/ or review/; up to a minute, until a write succeeds or a probe says it would).
/// </summary>
internal sealed class RootHealth(WatchRoot root)
{
    private readonly Backoff _unhealthy = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    private readonly Backoff _results = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    private volatile bool _watching; // start-up done (folders open, lease taken, leftovers cleared): ready only from then on
    private volatile string? _problem;
    private volatile string? _writeProblem; // results cannot be written (outbox/ or review/ unwritable): set until a job completes
    private volatile string? _leaseProblem;

    /// <summary>Why this root cannot take work now, for /readyz; null when it can.</summary>
    public string? Problem => _problem ?? _writeProblem ?? (_leaseProblem is { } lease ? $"{root.Path}: not writable: {lease}" : null)
        ?? (_watching ? null : $"{root.Path}: starting");

    /// <summary>Start-up is done: ready from now on (unless something else says otherwise).</summary>
    public void Watching() => _watching = true;

    /// <summary>Whether the root was found unusable and its pause has not ended yet.</summary>
    public bool Paused(DateTime now) => _unhealthy.Paused(now);

    /// <summary>Not ready with the reason, and claiming paused with a growing backoff; logged when the reason changes.</summary>
    public TimeSpan Unhealthy(string problem, DateTime now)
    {
        TimeSpan pause = _unhealthy.Fail(now);
        if (_problem != problem) root.Log.LogError("{Problem}; not ready, retrying (every {Seconds} s at most 30)", problem, pause.TotalSeconds);
        _problem = problem;
        return pause;
    }

    public void Healthy()
    {
        if (_problem is null) return;
        _unhealthy.Succeed();
        _problem = null;
        root.Log.LogInformation("{Root}: usable again; ready", root.Path);
    }

    /// <summary>Whether claiming waits for results to be writable again (a full disk, an unwritable folder).</summary>
    public bool ResultsPaused(DateTime now) => _results.Paused(now);

    /// <summary>A result was written to outbox/: the disk has room and the folders take files.</summary>
    public void ResultWritten()
    {
        _results.Succeed();
        WritableAgain();
    }

    /// <summary>A held result was written to review/: the disk has room (outbox/ may still refuse files).</summary>
    public void HeldWritten() => _results.Succeed();

    /// <summary>A write failed for want of space: claiming pauses; the pause it starts.</summary>
    public TimeSpan DiskFull(DateTime now) => _results.Fail(now);

    /// <summary>A result could not be written (permissions, a read-only remount): not ready; the pause; whether it is new.</summary>
    public (TimeSpan Pause, bool First) NotWritable(string error, DateTime now)
    {
        bool first = _writeProblem is null;
        _writeProblem = $"{root.Path}: results cannot be written: {error}";
        return (_results.Fail(now), first);
    }

    /// <summary>
    /// Whether claiming may go on: yes unless results could not be written and a hidden probe written to outbox/ and
    /// review/ and removed still fails (so readiness comes back after permissions are fixed even when the job that found
    /// them broken is no longer there to be retried).
    /// </summary>
    public async Task<bool> ResultsWritableAsync(CancellationToken stop)
    {
        if (_writeProblem is null) return true;
        const string probe = ".resshift-write-check";
        try
        {
            foreach (RootDirectory folder in new[] { root.Layout.OutboxDir, root.Layout.ReviewDir })
            {
                await folder.WriteAtomicAsync(probe, (_, _) => Task.CompletedTask, replace: true, stop).ConfigureAwait(false);
                folder.Delete(probe);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _ = _results.Fail(DateTime.UtcNow); // still not: look again after a longer pause
            return false;
        }
        WritableAgain();
        return true;
    }

    /// <summary>This daemon's lease could not be refreshed (peers take its claims over if this lasts): not ready.</summary>
    public void LeaseFailed(string message)
    {
        if (_leaseProblem != message) root.Log.LogWarning("{Root}: could not refresh this daemon's lease: {Message}", root.Path, message);
        _leaseProblem = message;
    }

    public void LeaseRefreshed() => _leaseProblem = null;

    private void WritableAgain()
    {
        if (_writeProblem is null) return;
        _writeProblem = null;
        root.Log.LogInformation("{Root}: results can be written again; ready", root.Path);
    }
}
