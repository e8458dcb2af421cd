using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs.Review;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Processing;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Every way a watch-root job can end, in one place: done/ (its output in outbox/), review/ (held below the fidelity
/// threshold, with its record), back to inbox (cancelled, a full disk, unwritable results, a transient failure up to
/// <see cref="Attempts"/> times), or failed/ with an error file saying why.
/// </summary>
internal sealed class Settlement(WatchRoot root, RootHealth health, FolderMoves moves, ErrorFiles errors, FolderJobs jobs)
{
    private const int Attempts = 3;

    private readonly Dictionary<string, int> _transientFailures = new(StringComparer.Ordinal);

    private WatchLayout Layout => root.Layout;

    public async Task SettleAsync(string rel, JobResult result)
    {
        switch (result.Kind)
        {
            case OutcomeKind.Completed or OutcomeKind.AlreadyDone:
                health.ResultWritten();
                Forget(rel);
                if (moves.MoveOrReport(rel, Layout.DoneDir, "done/") is not null)
                {
                    root.CountCompleted();
                    root.Log.LogInformation("{Root}: restored {Name}", root.Path, rel);
                    errors.RemoveStale(rel);
                }
                else
                {
                    await FailAsync(rel, $"{rel} was restored to outbox/, but the original could not be moved to done/ (see the log)", "io").ConfigureAwait(false);
                }
                break;
            case OutcomeKind.Review:
                health.HeldWritten();
                Forget(rel);
                await HoldForReviewAsync(rel, result).ConfigureAwait(false);
                break;
            case OutcomeKind.Cancelled:
                moves.HandBack(rel);
                break;
            case OutcomeKind.Transient when DiskSpace.IsFull(result.Exception):
                // Not the input's fault and not worth counting: back to inbox, and no claims until the pause ends.
                TimeSpan pause = health.DiskFull(DateTime.UtcNow);
                root.Log.LogWarning("{Root}: {Name}: disk full ({Message}); handed back, claiming again in {Seconds} s", root.Path, rel, result.Error, pause.TotalSeconds);
                moves.HandBack(rel);
                break;
            case OutcomeKind.Transient when DiskSpace.IsNotWritable(result.Exception):
                // Permissions changed under us (or a read-only remount): not ready, the job waits in inbox, claims pause.
                var (wait, first) = health.NotWritable(result.Error ?? "not writable", DateTime.UtcNow);
                if (first) root.Log.LogError("{Root}: {Name}: cannot write its result ({Message}); handed back, not ready, claiming again in {Seconds} s", root.Path, rel, result.Error, wait.TotalSeconds);
                moves.HandBack(rel);
                break;
            case OutcomeKind.Transient when RetryAfterTransientFailure(rel):
                // The input may be fine and the engine or disk not: back to inbox for another attempt.
                root.Log.LogWarning("{Root}: {Name} failed ({Kind}): {Message}; retrying", root.Path, rel, result.Class?.Label, result.Error);
                moves.HandBack(rel);
                break;
            default:
                root.Log.LogWarning("{Root}: {Name} failed ({Kind}): {Message}", root.Path, rel, result.Class?.Label, result.Error);
                await FailAsync(rel, result.Error ?? "failed", result.Class?.Label ?? "error").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>To failed/ with an error file; when even failed/ cannot take it, it stays in processing/ for the next start.</summary>
    public async Task FailAsync(string rel, string reason, string kind)
    {
        root.CountFailed();
        if (moves.MoveOrReport(rel, Layout.FailedDir, "failed/", WatchLayout.ErrorFile) is not { } moved)
        {
            // Disk full, permissions: the original stays in processing/ and is retried at start-up.
            if (Layout.ProcessingDir.Stat(rel) is not null)
                root.Log.LogError("{Root}: {Name} stays in processing/ and is retried at the next start", root.Path, rel);
            return;
        }
        await errors.WriteAsync(moved, rel, reason, kind).ConfigureAwait(false);
    }

    /// <summary>
    /// The output and its sidecar are already in review/; the record goes next, then the original joins them, so an
    /// original in review/ always has both beside it (a crash before that leaves it in processing/, redone at start-up).
    /// </summary>
    private async Task HoldForReviewAsync(string rel, JobResult result)
    {
        string held = Path.GetRelativePath(Layout.Review, result.HeldOutput!);
        string original = held[..^(FolderJobs.HeldInfix + Path.GetExtension(held)).Length];
        var record = FidelityReview.Record(rel, Path.GetRelativePath(root.Path, result.HeldOutput!), Path.GetRelativePath(root.Path, jobs.OutputPath(rel)),
            root.Model.Model.Id, result.Report!, root.Settings.Fidelity);
        await FidelityReview.WriteAsync(Layout.ReviewDir, original + FidelityReview.RecordSuffix, record, replace: false, CancellationToken.None).ConfigureAwait(false);
        if (moves.MoveToReview(rel, original) is not null)
        {
            root.CountCompleted();
            FidelityMetrics.RecordHeld(root.Model.Model.Id, "folder");
            root.Log.LogWarning("{Root}: {Name} held in review/: {Reason}", root.Path, rel, record["reason"]?.GetValue<string>());
        }
        else
        {
            await FailAsync(rel, $"{rel} was restored to review/, but the original could not be moved there (see the log)", "io").ConfigureAwait(false);
        }
    }

    private bool RetryAfterTransientFailure(string rel)
    {
        lock (_transientFailures)
        {
            int n = _transientFailures[rel] = _transientFailures.GetValueOrDefault(rel) + 1;
            if (n < Attempts) return true;
            _transientFailures.Remove(rel);
            return false;
        }
    }

    private void Forget(string rel)
    {
        lock (_transientFailures) _transientFailures.Remove(rel);
    }
}
