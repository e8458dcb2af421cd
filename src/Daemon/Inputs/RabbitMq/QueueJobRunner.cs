using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Backends;
using ResShift.Daemon.Inputs.RabbitMq.Messages;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// Runs one message body through validation and the pipeline and says how it ended; it knows nothing of the
/// broker. The output and its provenance sidecar are both durably written (fsync + rename) before it reports
/// Completed, so an ack after that can never lose a result.
/// </summary>
public sealed class QueueJobRunner
{
    private readonly RabbitMqSettings _settings;
    private readonly IReadOnlyDictionary<string, ModelPipeline> _models;
    private readonly PathGuard _paths;
    private readonly OutputLocks _locks;
    private readonly JobFactory _jobs;
    private readonly ILogger _log;

    /// <summary>
    /// Nothing is replaced that this service did not write (its sidecar, read through the root's handle, names this
    /// software), and then only when the message asks.
    /// </summary>
    private static void RefuseExisting(JobMessage msg, RootedPath output, bool exists)
    {
        if (exists && !(msg.Replace && CompletedOutput.WrittenByUs(output.Root, output.Relative)))
            throw new JobRejectedException("path", msg.Replace
                ? $"output '{msg.Output}' exists and has no resshift sidecar; it is not replaced"
                : $"output '{msg.Output}' exists; it is not replaced (send \"replace\": true to replace an output this service wrote)");
    }

    public QueueJobRunner(RabbitMqSettings settings, IReadOnlyDictionary<string, ModelPipeline> models, long maxPixels, ILogger log)
        : this(settings, models, maxPixels, log, new PathGuard(settings.Roots), new OutputLocks())
    {
    }

    /// <param name="paths">Shared with the segment runner of the same queue.</param>
    /// <param name="locks">Shared with the segment runner: one job per output path at a time in this process.</param>
    public QueueJobRunner(RabbitMqSettings settings, IReadOnlyDictionary<string, ModelPipeline> models, long maxPixels, ILogger log, PathGuard paths, OutputLocks locks)
    {
        _settings = settings;
        _models = models;
        _paths = paths;
        _locks = locks;
        _jobs = new JobFactory(maxPixels, log);
        _log = log;
    }

    /// <param name="started">Set once the job is built, before it is submitted: until the pipeline starts loading it, a drain may requeue the message untouched.</param>
    public async Task<JobOutcome> RunAsync(ReadOnlyMemory<byte> body, Action<FileRestoreJob> started, CancellationToken ct)
    {
        JobMessage? msg = null;
        string? input = null, output = null, model = null;
        JobOutcome Outcome(OutcomeKind kind) => new(kind, msg?.Id ?? JobMessage.TryReadId(body), msg, input, output, model);
        JobResult result;
        try
        {
            msg = JobMessage.Parse(body, _settings.MaxMessageBytes);
            model = msg.Model ?? _settings.Model;
            if (!_models.TryGetValue(model, out ModelPipeline? mp))
                throw new JobRejectedException("model", $"model '{model}' is not served on queue {_settings.Queue} (served: {string.Join(", ", _models.Keys.Order())})");
            if (JobKinds.ForModel(mp.Model) is null) RefuseOptionsOfOtherKinds(msg, mp);
            // Every kind by the same rules: inside a root, no links, read and written through the root handles.
            RootedPath inputAt = _paths.Input(msg.Input);
            RootedPath outputAt = _paths.Output(msg.Output, inputAt);
            (input, output) = (inputAt.Full, outputAt.Full);
            switch (await JobKinds.DecideAsync(mp.Model, inputAt.Root, inputAt.Relative, ct).ConfigureAwait(false))
            {
                case JobKind.Bird:
                    result = await RunBirdAsync(msg, mp, inputAt, outputAt, ct).ConfigureAwait(false);
                    break;
                case JobKind.Video:
                    Segments.VideoQueueJob.Outcome? video = await RunVideoAsync(msg, mp, inputAt, outputAt, ct).ConfigureAwait(false);
                    if (video is null) return Outcome(OutcomeKind.AlreadyDone);
                    return Outcome(video.Result.Kind) with { Error = video.Result.Error, ErrorKind = video.Result.Class?.Kind, Split = video.Split };
                default:
                    result = await RunImageAsync(msg, mp, inputAt, outputAt, started, ct).ConfigureAwait(false);
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            result = new JobResult(OutcomeKind.Cancelled) { Error = "stopped by drain", Class = new ErrorClass("cancelled", null, true) };
        }
        catch (Exception e)
        {
            result = JobResult.Failure(e);
            if (e is JobRejectedException) PipelineMetrics.Jobs.Add(1, new("source", "rabbitmq"), new("result", "failed"));
        }
        return Finish(msg, result, Outcome);
    }

    /// <summary>Options that only a BIRD model (or, for a mask, an inpainting model) takes, refused for the others before any path is resolved.</summary>
    private static void RefuseOptionsOfOtherKinds(JobMessage msg, ModelPipeline mp)
    {
        if (msg.Task is not null || (msg.Mask is not null && !mp.Model.InputContract.Mask) || msg.Options.Iterations is not null)
            throw new JobRejectedException("message", $"'task', 'mask' and 'options.iterations' apply to BIRD models ('mask' also to inpainting models), not '{mp.Model.Id}'");
        if (msg.Options.Overlap is { } ov && ov >= mp.Model.Tile.Lq)
            throw new JobRejectedException("message", $"'options.overlap' must be below the model's tile size {mp.Model.Tile.Lq} (got {ov})");
    }

    private static JobSettings Effective(JobMessage msg, ModelPipeline mp) => mp.Options.Resolve(new JobSettings
    {
        Seed = msg.Options.Seed, NoiseScale = msg.Options.NoiseScale, Overlap = msg.Options.Overlap, Blend = msg.Options.Blend,
    });

    /// <summary>A video: MKV out (every stream kept), read through the root's handle and delivered through it. Null: already done.</summary>
    private async Task<Segments.VideoQueueJob.Outcome?> RunVideoAsync(JobMessage msg, ModelPipeline mp, RootedPath inputAt, RootedPath outputAt, CancellationToken ct)
    {
        if (msg.Mask is not null) _ = _paths.Mask(msg.Mask, inputAt); // refused by the same path rules as for images
        JobSettings effective = Effective(msg, mp);
        using IDisposable held = await _locks.AcquireAsync(outputAt.Full, ct).ConfigureAwait(false);
        if (CompletedOutput.Matches(new RootedFile(outputAt.Root, outputAt.Relative), new RootedFile(inputAt.Root, inputAt.Relative), null, ProvenanceKey.For(mp.Model.Id, effective)))
            return null;
        RefuseExisting(msg, outputAt, outputAt.Root.Stat(outputAt.Relative) is not null);
        if (!outputAt.Full.EndsWith(".mkv", StringComparison.OrdinalIgnoreCase))
            throw new JobRejectedException("message", $"'{msg.Input}' is a video: its output is MKV (every stream kept), so name the output .mkv (got {msg.Output})");
        using ResShift.Pipeline.Video.OpenedVideo opened = Segments.QueueVideoFiles.Open(inputAt);
        return await Segments.VideoQueueJob.RunAsync(msg, mp, effective, inputAt.Full, outputAt.Full, _settings.SplitVideos,
            opened.Path, Segments.QueueVideoFiles.Deliver(_paths, inputAt.Full, outputAt.Full), _paths.Spool(outputAt.Full), _jobs.MaxPixels, ct).ConfigureAwait(false);
    }

    /// <summary>An image, through the model's tile pipeline; below the fidelity threshold held in review/ beside the requested output.</summary>
    private async Task<JobResult> RunImageAsync(JobMessage msg, ModelPipeline mp, RootedPath inputAt, RootedPath outputAt, Action<FileRestoreJob> started, CancellationToken ct)
    {
        RootedPath? maskAt = msg.Mask is null ? null : _paths.Mask(msg.Mask, inputAt);
        JobSettings effective = Effective(msg, mp);
        string input = inputAt.Full, output = outputAt.Full;
        using IDisposable held = await _locks.AcquireAsync(output, ct).ConfigureAwait(false);
        // The image sidecar records no mask (yet): as before, the mask is not part of the rule for image jobs.
        if (CompletedOutput.Matches(new RootedFile(outputAt.Root, outputAt.Relative), new RootedFile(inputAt.Root, inputAt.Relative), null, ProvenanceKey.For(mp.Model.Id, effective)))
            return new JobResult(OutcomeKind.AlreadyDone);
        bool exists = outputAt.Root.Stat(outputAt.Relative) is not null;
        RefuseExisting(msg, outputAt, exists);
        if (msg.Video is not null)
            throw new JobRejectedException("message", $"'video' applies to video inputs; '{msg.Input}' is not a video");
        var files = new RootedJobFiles(inputAt.Root, inputAt.Relative, outputAt.Root, outputAt.Relative)
        {
            MaxInputBytes = _jobs.MaxInputBytes,
            ReplaceOutput = exists,
        };

        // Below the threshold the output is held in review/ beside the requested one: that path is resolved by the
        // same rules (inside a root, no link, written through the root's handle), and an earlier held output
        // there is replaced only as the output would be ("replace" and our sidecar); otherwise the write refuses it.
        FidelityThreshold? threshold = msg.Options.Fidelity ?? _settings.Fidelity;
        Func<RootedJobFiles>? heldFiles = null;
        RootedPath? heldAt = null;
        if (threshold is { IsOff: false })
        {
            heldAt = _paths.Output(FidelityReview.HeldBeside(output), inputAt);
            bool replaceHeld = msg.Replace && heldAt.Root.Stat(heldAt.Relative) is not null && CompletedOutput.WrittenByUs(heldAt.Root, heldAt.Relative);
            RootedPath h = heldAt;
            heldFiles = () => new RootedJobFiles(inputAt.Root, inputAt.Relative, h.Root, h.Relative)
            {
                MaxInputBytes = _jobs.MaxInputBytes,
                ReplaceOutput = replaceHeld,
            };
        }
        FileRestoreJob job = _jobs.Create(mp, effective, files, msg.Input, "rabbitmq", Path.GetFileName, threshold, heldFiles,
            maskAt is null ? null : MaskSource.FromRoot(maskAt.Root, maskAt.Relative, msg.Mask!, _jobs.MaxInputBytes));
        started(job);
        JobResult result = await JobFactory.RunAsync(mp, job, ct).ConfigureAwait(false);
        if (result.Kind == OutcomeKind.Review)
        {
            var record = FidelityReview.Record(input, result.HeldOutput!, output, mp.Model.Id, result.Report!, threshold);
            // Beside the held output just written by this job: the record of an earlier hold there is ours to replace.
            await FidelityReview.WriteAsync(heldAt!.Root, heldAt.Relative + FidelityReview.RecordSuffix, record, replace: true, CancellationToken.None).ConfigureAwait(false);
            result = result with { Error = record["reason"]?.GetValue<string>() ?? result.Error };
        }
        return result;
    }

    /// <summary>
    /// A BIRD message: the job resumes from a checkpoint beside its output, so a redelivered message continues
    /// rather than starts over. It is never marked started: a drain cancels it and the message goes back.
    /// </summary>
    private async Task<JobResult> RunBirdAsync(JobMessage msg, ModelPipeline mp, RootedPath input, RootedPath output, CancellationToken ct)
    {
        RootedPath? maskAt = msg.Mask is null ? null : _paths.Mask(msg.Mask, input);
        var settings = new ResShift.Pipeline.Bird.BirdJobSettings
        {
            Task = msg.Task is null ? throw new JobRejectedException("message", $"model '{mp.Model.Id}' is a BIRD model: the message needs 'task'")
                : ResShift.Pipeline.Bird.BirdTaskNames.Parse(msg.Task),
            MaskPath = maskAt?.Full,
            Iterations = msg.Options.Iterations,
            Seed = msg.Options.Seed ?? 0,
        };
        try { settings.Validate(); }
        catch (ArgumentException e) { throw new JobRejectedException("message", e.Message); }
        using IDisposable held = await _locks.AcquireAsync(output.Full, ct).ConfigureAwait(false);
        bool exists = output.Root.Stat(output.Relative) is not null;
        var files = new ResShift.Pipeline.Bird.BirdJobFiles(input.Root, input.Relative, output.Root, output.Relative)
        {
            MaxInputBytes = _jobs.MaxInputBytes,
            ReplaceOutput = exists,
            Mask = maskAt is null ? null : (maskAt.Root, maskAt.Relative),
        };
        // A redelivery after the output was written (crash before the ack): acked as done, nothing rewritten.
        if (ResShift.Pipeline.Bird.BirdProvenance.Completed(files, mp.Model.Id, settings))
            return new JobResult(OutcomeKind.AlreadyDone);
        RefuseExisting(msg, output, exists);
        return await JobFactory.RunBirdAsync(mp, _jobs.CreateBird(mp, settings, files, msg.Input), "rabbitmq", ct).ConfigureAwait(false);
    }

    private JobOutcome Finish(JobMessage? msg, JobResult result, Func<OutcomeKind, JobOutcome> Outcome)
    {
        // Engine failures, full disks, permissions on the output folder: another try (maybe elsewhere) may succeed.
        if (result.Kind == OutcomeKind.Transient)
            _log.LogWarning(result.Exception, "queue {Queue}: job {Id} failed ({Kind}); it will be retried", _settings.Queue, msg?.Id, result.Class?.Kind);
        return Outcome(result.Kind) with
        {
            Report = result.Report, Error = result.Error, ErrorKind = result.Class?.Kind,
            HeldOutput = result.Kind == OutcomeKind.Review ? result.HeldOutput : null,
        };
    }
}
