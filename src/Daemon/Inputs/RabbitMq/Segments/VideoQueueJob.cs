using ResShift.Daemon.Serve;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Segments;
using ResShift.Daemon.Backends;
using ResShift.Pipeline.Video;
using ResShift.Pipeline.Video.Codec;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq.Segments;

/// <summary>
/// A queue message whose input is a video. With more than one segment and splitting on (the queue's
/// <c>SplitVideos</c>, or the message's <c>video.split</c>), it is only planned here: the plan goes into the
/// job's spool in the output root's <c>.resshift-video/</c> (the shared storage; see <see cref="QueueSpool"/>) and
/// the caller publishes one segment message per uncommitted segment, then acks. Otherwise the whole video is
/// restored in this process (in the same spool), as from a watch folder.
/// </summary>
public static class VideoQueueJob
{
    public sealed record Outcome(JobResult Result, IReadOnlyList<SegmentMessage>? Split);

    public static VideoJobOptions OptionsFor(JobMessage msg, ModelPipeline mp, JobSettings effective)
    {
        var options = new VideoJobOptions { Model = mp.Model.Id, Frame = effective, Source = "rabbitmq" };
        return msg.Video?.Apply(options) ?? options;
    }

    /// <param name="readPath">What ffmpeg reads: the input's descriptor opened through its root (see <see cref="QueueVideoFiles"/>).</param>
    /// <param name="deliver">How an unsplit job's output is put in place (through the output's root).</param>
    /// <param name="spool">The job's spool, named through the root spool's descriptor (<see cref="PathGuard.Spool"/>).</param>
    public static async Task<Outcome> RunAsync(JobMessage msg, ModelPipeline mp, JobSettings effective, string input, string output, bool splitByDefault,
        string readPath, DeliverOutput deliver, string spool, long maxPixels, CancellationToken ct)
    {
        string engine = mp.Engines.EngineName, precision = mp.Engines.Precision;
        SpoolFolder? folder = null;
        try
        {
            // Opened through the root spool's handle, no link followed; a folder there that this service did not make is refused.
            folder = await QueueSpool.OpenAsync(spool, create: true, ct).ConfigureAwait(false);
            var job = new VideoRestoreJob(input, output, msg.Input, OptionsFor(msg, mp, effective))
            {
                ReadPath = readPath, Deliver = deliver, SpoolPath = folder!.Path, Spool = folder, MaxPixels = maxPixels,
            };
            // A plan is replaced only by its own job: another job's, still running, keeps its spool (split or not).
            if (job.ReadPlan() is { } earlier && earlier.JobId != msg.Id && !job.Ended(earlier))
                throw new PlanTakenException(msg.Input, earlier);
            if (msg.Video?.Split ?? splitByDefault)
            {
                VideoPlan plan = await job.PlanAsync(mp.Pipeline, engine, precision, msg.Replace, msg.Id, ct).ConfigureAwait(false);
                if (plan.Segments > 1)
                {
                    IReadOnlyList<int> pending = await job.WritePlanAsync(plan, ct).ConfigureAwait(false);
                    // Everything committed already (a planner that died before its ack): one message still has to
                    // come through, so that a worker finds the full set and assembles.
                    IEnumerable<int> publish = pending.Count > 0 ? pending : [plan.Segments - 1];
                    return new Outcome(new JobResult(OutcomeKind.Completed),
                        [.. publish.Select(i => new SegmentMessage(msg.Id, plan.Id, input, output, i, plan.Segments))]);
                }
            }
            await job.RunAsync(mp.Pipeline, engine, precision, ct).ConfigureAwait(false);
            return new Outcome(new JobResult(OutcomeKind.Completed), null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new Outcome(Video.VideoJobRunner.Drained(), null);
        }
        catch (EngineClassMismatchException e)
        {
            // Segments of an earlier attempt on another engine class are in the spool: never mixed, never silently dropped.
            return new Outcome(JobResult.Failure(new JobRejectedException("input", e.Message, e)), null);
        }
        catch (PlanTakenException e)
        {
            return new Outcome(JobResult.Failure(new JobRejectedException("output", e.Message, e)), null);
        }
        catch (Exception e)
        {
            return new Outcome(JobResult.Failure(e), null);
        }
        finally
        {
            folder?.DeleteIfUnused(); // a spool made for a job refused before it planned anything does not stay
            folder?.Dispose();
        }
    }
}
