using Microsoft.Extensions.Logging;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Imaging;
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
    private readonly ImageDecoder _decoder;
    private readonly ImageEncoder _encoder = new();
    private readonly ILogger _log;

    public QueueJobRunner(RabbitMqSettings settings, IReadOnlyDictionary<string, ModelPipeline> models, long maxPixels, ILogger log)
    {
        _settings = settings;
        _models = models;
        _paths = new PathGuard(settings.Roots);
        _decoder = new ImageDecoder(new ImageDecoderOptions { MaxPixels = maxPixels });
        _log = log;
    }

    /// <param name="started">Set once the pipeline starts loading the input: before that, a drain may requeue the message untouched.</param>
    public async Task<JobOutcome> RunAsync(ReadOnlyMemory<byte> body, Action<FileRestoreJob> started, CancellationToken ct)
    {
        JobMessage? msg = null;
        string? input = null, output = null, model = null;
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
            if (CompletedOutput.Matches(output, input, model, effective.Seed!.Value, effective.NoiseScale))
                return new JobOutcome(OutcomeKind.AlreadyDone, msg.Id, msg, input, output, model);

            string outputName = Path.GetFileName(output);
            var job = new FileRestoreJob(input, output, msg.Input, "rabbitmq", mp.Model.Scale, _decoder, _encoder)
            {
                Settings = effective,
                AfterWrite = (j, report, token) => new ValueTask(ProvenanceSidecar.WriteAsync(j.OutputPath,
                    ProvenanceSidecar.Build(j, report, mp.Model, mp.Engines, effective, outputName), token)),
            };
            started(job);
            Task<JobReport> done = await mp.Pipeline.SubmitAsync(job, ct).ConfigureAwait(false);
            JobReport report = await done.ConfigureAwait(false);
            return new JobOutcome(OutcomeKind.Completed, msg.Id, msg, input, output, model) { Report = report };
        }
        catch (JobRejectedException e)
        {
            PipelineMetrics.Jobs.Add(1, new("source", "rabbitmq"), new("result", "failed"));
            return new JobOutcome(OutcomeKind.Rejected, msg?.Id ?? JobMessage.TryReadId(body), msg, input, output, model) { Error = e.Message, ErrorKind = e.Kind };
        }
        catch (ImageDecodeException e)
        {
            return new JobOutcome(OutcomeKind.Rejected, msg!.Id, msg, input, output, model) { Error = e.Message, ErrorKind = "input" };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new JobOutcome(OutcomeKind.Cancelled, msg?.Id, msg, input, output, model) { Error = "stopped by drain", ErrorKind = "cancelled" };
        }
        catch (Exception e)
        {
            // Engine failures, full disks, permissions on the output folder: another try (maybe elsewhere) may succeed.
            string kind = e switch { EngineFailureException => "engine", IOException or UnauthorizedAccessException => "io", _ => "error" };
            _log.LogWarning(e, "queue {Queue}: job {Id} failed ({Kind}); it will be retried", _settings.Queue, msg?.Id, kind);
            return new JobOutcome(OutcomeKind.Transient, msg?.Id, msg, input, output, model) { Error = e.Message, ErrorKind = kind };
        }
    }
}
