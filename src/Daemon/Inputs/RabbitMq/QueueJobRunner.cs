using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Fidelity;
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
    private readonly OutputLocks _locks = new();
    private readonly JobFactory _jobs;
    private readonly ILogger _log;

    public QueueJobRunner(RabbitMqSettings settings, IReadOnlyDictionary<string, ModelPipeline> models, long maxPixels, ILogger log)
    {
        _settings = settings;
        _models = models;
        _paths = new PathGuard(settings.Roots);
        _jobs = new JobFactory(maxPixels);
        _log = log;
    }

    /// <param name="started">Set once the job is built, before it is submitted: until the pipeline starts loading it, a drain may requeue the message untouched.</param>
    public async Task<JobOutcome> RunAsync(ReadOnlyMemory<byte> body, Action<FileRestoreJob> started, CancellationToken ct)
    {
        JobMessage? msg = null;
        string? input = null, output = null, model = null, heldOutput = null;
        JobOutcome Outcome(OutcomeKind kind) => new(kind, msg?.Id ?? JobMessage.TryReadId(body), msg, input, output, model);
        JobResult result;
        try
        {
            msg = JobMessage.Parse(body, _settings.MaxMessageBytes);
            model = msg.Model ?? _settings.Model;
            if (!_models.TryGetValue(model, out ModelPipeline? mp))
                throw new JobRejectedException("model", $"model '{model}' is not served on queue {_settings.Queue} (served: {string.Join(", ", _models.Keys.Order())})");
            if (msg.Options.Overlap is { } ov && ov >= mp.Model.Tile.Lq)
                throw new JobRejectedException("message", $"'options.overlap' must be below the model's tile size {mp.Model.Tile.Lq} (got {ov})");
            input = _paths.Input(msg.Input);
            output = _paths.Output(msg.Output, input);

            JobSettings effective = mp.Options.Resolve(new JobSettings
            {
                Seed = msg.Options.Seed, NoiseScale = msg.Options.NoiseScale, Overlap = msg.Options.Overlap, Blend = msg.Options.Blend,
            });
            using IDisposable held = await _locks.AcquireAsync(output, ct).ConfigureAwait(false);
            if (CompletedOutput.Matches(output, input, model, effective))
                return Outcome(OutcomeKind.AlreadyDone);

            if (await Video.VideoJobRunner.IsVideoAsync(input, ct).ConfigureAwait(false))
            {
                if (!output.EndsWith(".mkv", StringComparison.OrdinalIgnoreCase))
                    throw new JobRejectedException("message", $"'{msg.Input}' is a video: its output is MKV (every stream kept), so name the output .mkv (got {msg.Output})");
                result = await Video.VideoJobRunner.RunAsync(mp, effective, input, output, msg.Input, "rabbitmq", ct).ConfigureAwait(false);
                return Outcome(result.Kind) with { Error = result.Error, ErrorKind = result.Class?.Kind };
            }
            FidelityThreshold? threshold = msg.Options.Fidelity ?? _settings.Fidelity;
            if (threshold is { IsOff: false }) heldOutput = _paths.Output(FidelityReview.HeldBeside(output), input);
            FileRestoreJob job = _jobs.Create(mp, effective, input, output, msg.Input, "rabbitmq", Path.GetFileName(output), threshold, heldOutput);
            started(job);
            result = await JobFactory.RunAsync(mp, job, ct).ConfigureAwait(false);
            if (result.Kind == OutcomeKind.Review)
            {
                var record = FidelityReview.Record(input, heldOutput!, output, model, result.Report!, threshold);
                await FidelityReview.WriteAsync(heldOutput + FidelityReview.RecordSuffix, record, CancellationToken.None).ConfigureAwait(false);
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
