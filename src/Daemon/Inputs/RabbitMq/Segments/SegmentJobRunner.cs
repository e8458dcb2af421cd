using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;
using ResShift.Pipeline.Video.Segments;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq.Segments;

/// <summary>
/// Runs one segment message: reads the plan from the job's spool (in the output root's <c>.resshift-video/</c>, named
/// through the descriptor the <see cref="PathGuard"/> holds: <see cref="QueueSpool"/>), restores the segment with the
/// planner's settings (a committed, valid segment is left alone), then checks whether every segment is committed
/// and if so assembles. Commit-then-check means that of the workers committing the last segments at least one
/// sees the full set. The caller acks only after this returns, so when an assembler dies its segment message
/// comes back and the next daemon assembles. It knows nothing of the broker.
/// </summary>
public sealed class SegmentJobRunner(RabbitMqSettings settings, IReadOnlyDictionary<string, ModelPipeline> models, PathGuard paths, OutputLocks locks, ILogger log)
{
    public async Task<SegmentOutcome> RunAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        SegmentMessage? msg = null;
        VideoPlan? plan = null;
        long started = Stopwatch.GetTimestamp();
        bool restoredNow = false;
        SegmentOutcome Outcome(SegmentOutcomeKind kind) =>
            new(kind, msg) { RestoredNow = restoredNow, Seconds = Stopwatch.GetElapsedTime(started).TotalSeconds, Model = plan?.Options.Model };
        SpoolFolder? folder = null;
        try
        {
            msg = SegmentMessage.Parse(body, settings.MaxMessageBytes);
            // The message proves it belongs to the plan in the spool (the plan's id, a digest the planner made, and the
            // plan's job) before anything else is done for it: a forged or stale message touches nothing there.
            folder = QueueSpool.OpenExisting(paths.Spool(msg.Output));
            SegmentStore? store = folder is null ? null : new SegmentStore(folder.Path, FfmpegTools.Default) { Folder = folder };
            plan = store?.ReadPlan();
            if (plan is null || plan.Id != msg.PlanId || plan.JobId != msg.JobId)
            {
                plan = null;
                if (DeliveredFor(msg)) return Outcome(SegmentOutcomeKind.AlreadyAssembled);
                log.LogInformation("queue {Queue}: segment {Segment} of {Job}: plan {Plan} of that job is not in the spool (replaced, removed, or a message no planner made); nothing to do",
                    settings.SegmentsQueue, msg.Segment, msg.JobId, msg.PlanId);
                return Outcome(SegmentOutcomeKind.Dropped) with { Error = "no such plan for this job in the spool" };
            }
            RootedPath inputAt = paths.Input(msg.Input);
            string output = paths.Output(msg.Output, inputAt).Full;
            if (plan.InputPath != inputAt.Full || plan.OutputPath != output || plan.Segments != msg.Segments)
                throw new JobRejectedException("message", $"segment message for {msg.JobId} does not match the plan in the spool (input, output or segment count)");
            if (ReadFailed(folder!) is { } reason)
                return Outcome(SegmentOutcomeKind.Dropped) with { Error = "the job already failed: " + reason };
            if (!models.TryGetValue(plan.Options.Model, out ModelPipeline? mp) || mp.IsBird)
                throw new WrongWorkerException($"model '{plan.Options.Model}' of job {msg.JobId} is not served by this daemon");

            log.LogInformation("queue {Queue}: segment {Segment}/{Segments} of {Job}: restoring", settings.SegmentsQueue, msg.Segment + 1, msg.Segments, msg.JobId);
            using ResShift.Pipeline.Video.OpenedVideo opened = QueueVideoFiles.Open(inputAt);
            var job = VideoRestoreJob.FromPlan(plan, readPath: opened.Path, deliver: QueueVideoFiles.Deliver(paths, msg.Input, msg.Output), spool: folder);
            SegmentRun run;
            using (await locks.AcquireAsync($"{output}#segment-{msg.Segment}", ct).ConfigureAwait(false))
                run = await job.RestoreSegmentAsync(plan, msg.Segment, mp.Pipeline, mp.Engines.EngineName, mp.Engines.Precision, ct).ConfigureAwait(false);
            restoredNow = run == SegmentRun.Restored;
            if (run == SegmentRun.Superseded)
                return VideoRestoreJob.Delivered(plan) ? Outcome(SegmentOutcomeKind.AlreadyAssembled) : Outcome(SegmentOutcomeKind.Dropped) with { Error = "the spool was removed" };
            if (restoredNow)
                log.LogInformation("queue {Queue}: segment {Segment}/{Segments} of {Job} committed", settings.SegmentsQueue, msg.Segment + 1, msg.Segments, msg.JobId);

            if (!await job.AllCommittedAsync(plan, ct).ConfigureAwait(false))
                return Outcome(restoredNow ? SegmentOutcomeKind.Restored : SegmentOutcomeKind.AlreadyCommitted);
            // One assembly per output in this process; across daemons the delivery itself is idempotent.
            using (await locks.AcquireAsync(output, ct).ConfigureAwait(false))
            {
                log.LogInformation("queue {Queue}: all {Segments} segments of {Job} committed; assembling {Output}", settings.SegmentsQueue, msg.Segments, msg.JobId, output);
                VideoResult? result = await job.AssembleAsync(plan, ct).ConfigureAwait(false);
                return Outcome(result is null ? SegmentOutcomeKind.AlreadyAssembled : SegmentOutcomeKind.Assembled);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Outcome(SegmentOutcomeKind.Cancelled) with { Error = "stopped by drain", ErrorKind = "cancelled" };
        }
        catch (Exception e) when (plan is not null && VideoRestoreJob.Delivered(plan))
        {
            log.LogInformation("queue {Queue}: segment {Segment} of {Job}: {Message}; the output was delivered meanwhile", settings.SegmentsQueue, msg?.Segment, msg?.JobId, e.Message);
            return Outcome(SegmentOutcomeKind.AlreadyAssembled);
        }
        catch (EngineClassMismatchException e)
        {
            // Another daemon (of the plan's engine class) may take it; with none, the delivery limit dead-letters it.
            return Outcome(SegmentOutcomeKind.Transient) with { Error = e.Message, ErrorKind = "engine-class" };
        }
        catch (WrongWorkerException e)
        {
            return Outcome(SegmentOutcomeKind.Transient) with { Error = e.Message, ErrorKind = "model" };
        }
        catch (Exception e)
        {
            JobResult r = JobResult.Failure(e);
            if (r.Kind == OutcomeKind.Transient)
                log.LogWarning(e, "queue {Queue}: segment {Segment} of {Job} failed ({Kind}); it will be retried", settings.SegmentsQueue, msg?.Segment, msg?.JobId, r.Class?.Kind);
            return Outcome(r.Kind == OutcomeKind.Transient ? SegmentOutcomeKind.Transient : SegmentOutcomeKind.Rejected) with { Error = r.Error, ErrorKind = r.Class?.Kind };
        }
        finally
        {
            folder?.Dispose();
        }
    }

    /// <summary>The output named by a message that matches no plan was delivered for the plan it names (a redelivery after the assembler's ack was lost).</summary>
    private bool DeliveredFor(SegmentMessage msg)
    {
        try
        {
            return VideoRestoreJob.Delivered(paths.Output(msg.Output, paths.Input(msg.Input)).Full, msg.PlanId, checkBytes: false);
        }
        catch (Exception e) when (e is JobRejectedException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Marks the job failed in its spool: the other segments' workers stop spending work on it, and a resent job
    /// re-plans and clears it. Only a message that belongs to the plan in the spool (its id and job) may: a forged or
    /// stale one marks nothing and reports nothing. True when this call made the mark (or could not: the spool is
    /// gone), so the job's failure is reported once even when several of its segments fail at the same time.
    /// </summary>
    public bool MarkFailed(SegmentMessage msg, string reason)
    {
        try
        {
            // Found from the output's name alone: the output's folders may be what failed (a folder swapped for a link).
            using SpoolFolder? folder = QueueSpool.OpenExisting(paths.Spool(msg.Output));
            if (folder is null) return true;
            VideoPlan? plan = new SegmentStore(folder.Path, FfmpegTools.Default) { Folder = folder }.ReadPlan();
            if (plan is null || plan.Id != msg.PlanId || plan.JobId != msg.JobId)
            {
                log.LogWarning("queue {Queue}: segment {Segment} of {Job} names plan {Plan}, which is not that job's plan in the spool: nothing is marked failed and no job event is published",
                    settings.SegmentsQueue, msg.Segment, msg.JobId, msg.PlanId);
                return false;
            }
            try
            {
                using var f = new FileStream(Path.Combine(folder.Path, FailedMarker), FileMode.CreateNew, FileAccess.Write); // O_EXCL: never through a link
                f.Write(System.Text.Encoding.UTF8.GetBytes($"segment {msg.Segment}: {reason}\n"));
                return true;
            }
            catch (IOException) when (folder.Folder.Stat(FailedMarker) is not null)
            {
                return false; // another segment's failure was first
            }
        }
        catch (JobRejectedException e)
        {
            // The message's output, or the spool it names, is refused: no planner made this message, so it speaks for no job.
            log.LogWarning("queue {Queue}: segment {Segment} of {Job} names no usable spool ({Message}): no job event is published", settings.SegmentsQueue, msg.Segment, msg.JobId, e.Message);
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("queue {Queue}: could not mark job {Job} failed: {Message}", settings.SegmentsQueue, msg.JobId, e.Message);
            return true;
        }
    }

    private const string FailedMarker = "failed.txt";

    /// <summary>Why the job failed, when a segment marked it so; read through the spool's handle (a link or a FIFO is not read).</summary>
    private static string? ReadFailed(SpoolFolder folder)
    {
        if (folder.Folder.Stat(FailedMarker) is null) return null;
        try
        {
            return System.Text.Encoding.UTF8.GetString(folder.Folder.ReadAllBytes(FailedMarker, 64 * 1024)).Trim();
        }
        catch (IOException)
        {
            return "(reason unreadable)";
        }
    }

    private sealed class WrongWorkerException(string message) : Exception(message);
}
