using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Segments;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;

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
        try
        {
            msg = SegmentMessage.Parse(body, settings.MaxMessageBytes);
            RootedPath inputAt = paths.Input(msg.Input);
            string output = paths.Output(msg.Output, inputAt).Full;
            string spool = paths.Spool(msg.Output);
            plan = VideoPlan.TryReadIn(spool);
            if (plan is null || plan.Id != msg.PlanId)
            {
                if (VideoRestoreJob.Delivered(output, msg.PlanId, checkBytes: false)) return Outcome(SegmentOutcomeKind.AlreadyAssembled);
                log.LogInformation("queue {Queue}: segment {Segment} of {Job}: plan {Plan} is no longer in the spool (replaced or removed); nothing to do",
                    settings.SegmentsQueue, msg.Segment, msg.JobId, msg.PlanId);
                return Outcome(SegmentOutcomeKind.Dropped) with { Error = "plan replaced or removed" };
            }
            if (plan.InputPath != inputAt.Full || plan.OutputPath != output || plan.Segments != msg.Segments)
                throw new JobRejectedException("message", $"segment message for {msg.JobId} does not match the plan in the spool (input, output or segment count)");
            string failed = new SegmentStore(spool, Pipeline.Video.Processes.FfmpegTools.Default).FailedMarker;
            if (File.Exists(failed))
                return Outcome(SegmentOutcomeKind.Dropped) with { Error = "the job already failed: " + SafeRead(failed) };
            if (!models.TryGetValue(plan.Options.Model, out ModelPipeline? mp) || mp.IsBird)
                throw new WrongWorkerException($"model '{plan.Options.Model}' of job {msg.JobId} is not served by this daemon");

            log.LogInformation("queue {Queue}: segment {Segment}/{Segments} of {Job}: restoring", settings.SegmentsQueue, msg.Segment + 1, msg.Segments, msg.JobId);
            using Video.OpenedVideo opened = QueueVideoFiles.Open(inputAt);
            var job = VideoRestoreJob.FromPlan(plan, readPath: opened.Path, deliver: QueueVideoFiles.Deliver(paths, msg.Input, msg.Output), spoolPath: spool);
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
    }

    /// <summary>
    /// Marks the job failed in its spool: the other segments' workers stop spending work on it, and a resent job
    /// re-plans and clears it. True when this call made the mark (or could not: the spool is gone), so the job's
    /// failure is reported once even when several of its segments fail at the same time.
    /// </summary>
    public bool MarkFailed(SegmentMessage msg, string reason)
    {
        string? marker = null;
        try
        {
            // Found from the output's name alone: the output's folders may be what failed (a folder swapped for a link).
            string spool = paths.Spool(msg.Output);
            if (!Directory.Exists(spool)) return true;
            marker = new SegmentStore(spool, Pipeline.Video.Processes.FfmpegTools.Default).FailedMarker;
            using var f = new FileStream(marker, FileMode.CreateNew, FileAccess.Write);
            f.Write(System.Text.Encoding.UTF8.GetBytes($"segment {msg.Segment}: {reason}\n"));
            return true;
        }
        catch (IOException) when (marker is not null && File.Exists(marker))
        {
            return false; // another segment's failure was first
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JobRejectedException or Pipeline.Files.UnsafePathException)
        {
            log.LogWarning("queue {Queue}: could not mark job {Job} failed: {Message}", settings.SegmentsQueue, msg.JobId, e.Message);
            return true;
        }
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "(reason unreadable)";
        }
    }

    private sealed class WrongWorkerException(string message) : Exception(message);
}
