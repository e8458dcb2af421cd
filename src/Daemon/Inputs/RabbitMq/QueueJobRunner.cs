using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;

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

    /// <summary>The output's sidecar is one of ours (it names this software): replacing the output loses nothing a user wrote.</summary>
    private static bool WrittenByUs(string output)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(ProvenanceSidecar.PathFor(output)));
            return doc.RootElement.GetProperty("software").GetProperty("name").GetString() == "resshift";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Nothing is replaced that this service did not write, and then only when the message asks.</summary>
    private static void RefuseExisting(JobMessage msg, RootedPath output, bool exists)
    {
        if (exists && !(msg.Replace && WrittenByUs(output.Full)))
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
        _jobs = new JobFactory(maxPixels);
        _log = log;
    }

    /// <param name="started">Set once the job is built, before it is submitted: until the pipeline starts loading it, a drain may requeue the message untouched.</param>
    public async Task<JobOutcome> RunAsync(ReadOnlyMemory<byte> body, Action<FileRestoreJob> started, CancellationToken ct)
    {
        JobMessage? msg = null;
        string? input = null, output = null, model = null, heldOutput = null;
        RootedPath? heldAt = null;
        FidelityThreshold? threshold = null;
        JobOutcome Outcome(OutcomeKind kind) => new(kind, msg?.Id ?? JobMessage.TryReadId(body), msg, input, output, model);
        JobResult result;
        try
        {
            msg = JobMessage.Parse(body, _settings.MaxMessageBytes);
            model = msg.Model ?? _settings.Model;
            if (!_models.TryGetValue(model, out ModelPipeline? mp))
                throw new JobRejectedException("model", $"model '{model}' is not served on queue {_settings.Queue} (served: {string.Join(", ", _models.Keys.Order())})");
            if (mp.IsBird)
            {
                // By the same rules as image jobs: inside a root, no links, read and written through the root handles.
                RootedPath birdIn = _paths.Input(msg.Input);
                RootedPath birdOut = _paths.Output(msg.Output, birdIn);
                (input, output) = (birdIn.Full, birdOut.Full);
                result = await RunBirdAsync(msg, mp, birdIn, birdOut, ct).ConfigureAwait(false);
                return Finish(msg, result, null, Outcome);
            }
            if (msg.Task is not null || (msg.Mask is not null && !mp.Model.InputContract.Mask) || msg.Options.Iterations is not null)
                throw new JobRejectedException("message", $"'task', 'mask' and 'options.iterations' apply to BIRD models ('mask' also to inpainting models), not '{model}'");
            if (msg.Options.Overlap is { } ov && ov >= mp.Model.Tile.Lq)
                throw new JobRejectedException("message", $"'options.overlap' must be below the model's tile size {mp.Model.Tile.Lq} (got {ov})");
            RootedPath inputAt = _paths.Input(msg.Input);
            RootedPath outputAt = _paths.Output(msg.Output, inputAt);
            (input, output) = (inputAt.Full, outputAt.Full);
            RootedPath? maskAt = msg.Mask is null ? null : _paths.Mask(msg.Mask, inputAt);

            JobSettings effective = mp.Options.Resolve(new JobSettings
            {
                Seed = msg.Options.Seed, NoiseScale = msg.Options.NoiseScale, Overlap = msg.Options.Overlap, Blend = msg.Options.Blend,
            });
            using IDisposable held = await _locks.AcquireAsync(output, ct).ConfigureAwait(false);
            if (CompletedOutput.Matches(output, input, model, effective))
                return Outcome(OutcomeKind.AlreadyDone);

            bool exists = outputAt.Root.Stat(outputAt.Relative) is not null;
            RefuseExisting(msg, outputAt, exists);
            if (await Video.VideoJobRunner.IsVideoAsync(inputAt.Root, inputAt.Relative, ct).ConfigureAwait(false))
            {
                // Read through the root's handle, delivered through it; MKV out (every stream kept).
                if (!output.EndsWith(".mkv", StringComparison.OrdinalIgnoreCase))
                    throw new JobRejectedException("message", $"'{msg.Input}' is a video: its output is MKV (every stream kept), so name the output .mkv (got {msg.Output})");
                using Video.OpenedVideo opened = Segments.QueueVideoFiles.Open(inputAt);
                Segments.VideoQueueJob.Outcome video = await Segments.VideoQueueJob.RunAsync(msg, mp, effective, input, output, _settings.SplitVideos,
                    opened.Path, Segments.QueueVideoFiles.Deliver(_paths, input, output), _paths.Spool(output), _jobs.MaxPixels, ct).ConfigureAwait(false);
                return Outcome(video.Result.Kind) with { Error = video.Result.Error, ErrorKind = video.Result.Class?.Kind, Split = video.Split };
            }
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
            threshold = msg.Options.Fidelity ?? _settings.Fidelity;
            Func<RootedJobFiles>? heldFiles = null;
            if (threshold is { IsOff: false })
            {
                heldAt = _paths.Output(FidelityReview.HeldBeside(output), inputAt);
                string heldFull = heldAt.Full;
                bool replaceHeld = msg.Replace && heldAt.Root.Stat(heldAt.Relative) is not null && WrittenByUs(heldFull);
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
            result = await JobFactory.RunAsync(mp, job, ct).ConfigureAwait(false);
            if (result.Kind == OutcomeKind.Review)
            {
                heldOutput = result.HeldOutput;
                var record = FidelityReview.Record(input, heldOutput!, output, model, result.Report!, threshold);
                // Beside the held output just written by this job: the record of an earlier hold there is ours to replace.
                await FidelityReview.WriteAsync(heldAt!.Root, heldAt.Relative + FidelityReview.RecordSuffix, record, replace: true, CancellationToken.None).ConfigureAwait(false);
                result = result with { Error = record["reason"]?.GetValue<string>() ?? result.Error };
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
        return Finish(msg, result, heldOutput, Outcome);
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
        if (CompletedBirdOutput.Matches(files, mp.Model.Id, settings))
            return new JobResult(OutcomeKind.AlreadyDone);
        RefuseExisting(msg, output, exists);
        return await JobFactory.RunBirdAsync(mp, _jobs.CreateBird(mp, settings, files, msg.Input), "rabbitmq", ct).ConfigureAwait(false);
    }

    private JobOutcome Finish(JobMessage? msg, JobResult result, string? heldOutput, Func<OutcomeKind, JobOutcome> Outcome)
    {
        // Engine failures, full disks, permissions on the output folder: another try (maybe elsewhere) may succeed.
        if (result.Kind == OutcomeKind.Transient)
            _log.LogWarning(result.Exception, "queue {Queue}: job {Id} failed ({Kind}); it will be retried", _settings.Queue, msg?.Id, result.Class?.Kind);
        return Outcome(result.Kind) with
        {
            Report = result.Report, Error = result.Error, ErrorKind = result.Class?.Kind,
            HeldOutput = result.Kind == OutcomeKind.Review ? heldOutput : null,
        };
    }
}
