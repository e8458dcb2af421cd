using ResShift.Pipeline.Files;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video.Segments;

namespace ResShift.Pipeline.Video.Jobs;

/// <summary>
/// Plans a distributed video job: probes and decides exactly as the one-process run does, and writes the plan into
/// the spool, where segment workers and assemblers read it. A plan belongs to the job that made it: while that job
/// runs (its plan neither failed nor delivered), another job for the same output is refused instead of replacing it,
/// so the first job's segments are never dropped and it still ends with its one completed or failed event.
/// </summary>
internal sealed class VideoPlanner(VideoRestoreJob job, VideoPreparer preparer)
{
    /// <param name="jobId">The job (message) planning; the plan and its segment messages carry it.</param>
    public async Task<VideoPlan> PlanAsync(SegmentStore store, RestorePipeline pipeline, string engine, string precision, bool replace, string? jobId, CancellationToken cancellationToken)
    {
        PreparedVideo p = await preparer.PrepareAsync(pipeline.Geometry.Scale, pipeline.Geometry.LqTile, null, cancellationToken).ConfigureAwait(false);
        var plan = new VideoPlan
        {
            Id = VideoPlan.NewId(jobId, p.InputSha, p.SettingsKey, job.OutputPath, engine, precision), JobId = jobId, Name = job.Name,
            InputPath = Path.GetFullPath(job.InputPath), OutputPath = Path.GetFullPath(job.OutputPath), InputSha256 = p.InputSha,
            Frames = p.Frames, SegmentFrames = p.PerSegment, Segments = p.Segments.Count, Scale = p.Scale, SettingsKey = p.SettingsKey,
            Engine = engine, Precision = precision, Replace = replace, Options = job.Options,
        };
        // The same job planned before (its planner died before the ack, maybe on another engine class): keep that
        // plan, its id and its engine pin, so the segments already committed under it, and its messages, stay valid.
        if (store.ReadPlan() is { } earlier && earlier.JobId == jobId && earlier.InputSha256 == plan.InputSha256
            && earlier.SettingsKey == plan.SettingsKey && earlier.OutputPath == plan.OutputPath && earlier.Segments == plan.Segments)
            return earlier with { Replace = replace };
        return plan;
    }

    /// <summary>
    /// Writes the plan and removes the failure marker of an earlier attempt; segments committed there under the same
    /// work stay valid. Returns the segments still to restore.
    /// </summary>
    /// <exception cref="PlanTakenException">Another job's plan is in the spool and that job has not ended.</exception>
    public async Task<IReadOnlyList<int>> WritePlanAsync(SegmentStore store, VideoPlan plan, CancellationToken cancellationToken)
    {
        VideoPlan? earlier = store.ReadPlan();
        RefuseTaken(store, plan, earlier);
        try
        {
            await store.WritePlanAsync(plan, replace: earlier is not null, cancellationToken).ConfigureAwait(false);
        }
        catch (FileExistsException)
        {
            // Another planner wrote a plan since it was read: its job's, unless that one is ours too.
            RefuseTaken(store, plan, store.ReadPlan());
            await store.WritePlanAsync(plan, replace: true, cancellationToken).ConfigureAwait(false);
        }
        File.Delete(store.FailedMarker);
        var pending = new List<int>();
        foreach (Segment s in plan.Cut())
            if (await store.VerifyAsync(s, plan.InputSha256, plan.SettingsKey, plan.Engine, plan.Precision, cancellationToken).ConfigureAwait(false) is null)
                pending.Add(s.Index);
        return pending;
    }

    /// <summary>Whether the job of <paramref name="plan"/> has ended: it failed (its marker), or its output was delivered.</summary>
    public static bool Ended(SegmentStore store, VideoPlan plan) => File.Exists(store.FailedMarker) || VideoAssembler.Delivered(plan);

    private void RefuseTaken(SegmentStore store, VideoPlan plan, VideoPlan? earlier)
    {
        if (earlier is not null && earlier.Id != plan.Id && earlier.JobId != plan.JobId && !Ended(store, earlier))
            throw new PlanTakenException(job.Name, earlier);
    }
}
