using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Models;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;
using ResShift.Daemon.Backends;

namespace ResShift.Daemon.Inputs;

/// <summary>
/// Builds an intake's pipeline jobs: a <see cref="FileRestoreJob"/> with the effective settings that reads and
/// writes through root handles and makes its provenance sidecar visible just before the output, so an output
/// present always has its sidecar.
/// One per intake (the decoder carries the pixel limit; encoder and decoder are stateless and shared by its jobs).
/// </summary>
public sealed class JobFactory(long maxPixels, ILogger? log = null)
{
    private readonly ImageDecoder _decoder = new(new ImageDecoderOptions { MaxPixels = maxPixels });
    private readonly ImageEncoder _encoder = new();

    /// <summary>
    /// Inputs larger than this are refused from their size before a byte is read: the largest uncompressed
    /// image within the pixel limit (16-bit RGBA) plus room for metadata.
    /// </summary>
    public long MaxInputBytes { get; } = checked(maxPixels * 8 + (64L << 20));

    /// <summary>The largest image (or video frame) in pixels.</summary>
    public long MaxPixels => maxPixels;

    /// <summary>
    /// A job that reads and writes through root directory handles (no link followed, nothing replaced unless
    /// <paramref name="files"/> allows it); its sidecar is written with the output and made visible first.
    /// </summary>
    /// <param name="recordedOutputName">How the sidecar names the output written (default: its path relative to the output root).</param>
    /// <param name="effective">Settings already resolved against the model's defaults (<see cref="PipelineOptions.Resolve"/>): the sidecar records them.</param>
    /// <param name="name">How logs, metrics and the sidecar name the input (relative path, or the message's path).</param>
    /// <param name="source">The metrics label: folder, rabbitmq.</param>
    /// <param name="threshold">The fidelity threshold (null or empty = off): below it the output goes where <paramref name="held"/> says.</param>
    /// <param name="held">
    /// The files for a held output (called only when the job is diverted, before anything is written): through root
    /// handles like <paramref name="files"/>; its sidecar names the held file.
    /// </param>
    /// <param name="mask">The inpainting mask that goes with the input (models whose task takes one).</param>
    public FileRestoreJob Create(ModelPipeline model, JobSettings effective, RootedJobFiles files, string name, string source, Func<string, string>? recordedOutputName = null,
        FidelityThreshold? threshold = null, Func<RootedJobFiles>? held = null, MaskSource? mask = null) =>
        Create(model.Model, model.Engines.EngineName, model.Engines.Precision, effective, files, name, source, recordedOutputName, threshold, held, mask);

    /// <summary>The same for a caller that holds the model's engines itself (<c>resshift restore</c>): the same job, the same sidecar.</summary>
    /// <param name="sidecar">False: no provenance sidecar (<c>restore --no-sidecar</c>).</param>
    public FileRestoreJob Create(ModelManifest model, string engineName, string precision, JobSettings effective, RootedJobFiles files, string name, string source,
        Func<string, string>? recordedOutputName = null, FidelityThreshold? threshold = null, Func<RootedJobFiles>? held = null, MaskSource? mask = null,
        bool sidecar = true, Action<int>? planned = null, Action? tileDone = null)
    {
        FileRestoreJob? job = null;
        RootedJobFiles WithSidecar(RootedJobFiles f, Func<string, string>? recorded) => new(f.InputRoot, f.Input, f.OutputRoot, f.Output)
        {
            MaxInputBytes = f.MaxInputBytes,
            ReplaceOutput = f.ReplaceOutput,
            Alternative = f.Alternative,
            Companion = !sidecar ? null : (output, report) => (ProvenanceFile.NameFor(output),
                ImageProvenance.For(job!, report, model, engineName, precision, effective, recorded?.Invoke(output) ?? output).WriteAsync),
        };
        job = new FileRestoreJob(Path.Combine(files.InputRoot.Path, files.Input), Path.Combine(files.OutputRoot.Path, files.Output), name, source,
            model.Scale, _decoder, _encoder)
        {
            Mask = mask,
            Settings = effective,
            Files = WithSidecar(files, recordedOutputName),
            Planned = planned,
            TileDone = tileDone,
            Divert = held is null ? null : FidelityReview.Divert(threshold, () =>
            {
                RootedJobFiles h = WithSidecar(held(), Path.GetFileName);
                return new OutputTarget(h.OutputFullPath, h);
            }),
        };
        return job;
    }

    /// <summary>
    /// A BIRD job of a BIRD model (<see cref="ModelPipeline.Bird"/>) that reads and writes through root handles like
    /// image jobs (<paramref name="files"/>; the input size limit is this factory's); it checkpoints beside its output
    /// and resumes from there.
    /// </summary>
    public BirdRestoreJob CreateBird(ModelPipeline model, BirdJobSettings settings, BirdJobFiles files, string name, Action? iterated = null) =>
        new(Path.Combine(files.InputRoot.Path, files.Input), files.OutputFullPath, model.Model, settings, _decoder, _encoder)
        {
            Name = name,
            Files = files,
            IterationDone = (_, _, _) => iterated?.Invoke(),
            CheckpointIgnored = reason => log?.LogWarning("BIRD job {Name}: {Reason}", name, reason),
        };

    /// <summary>Runs a BIRD job through its model's shared UNet batcher; never throws.</summary>
    public static async Task<JobResult> RunBirdAsync(ModelPipeline model, BirdRestoreJob job, string source, CancellationToken ct)
    {
        try
        {
            await job.RunAsync(model.Bird!.Batcher, ct).ConfigureAwait(false);
            PipelineMetrics.Jobs.Add(1, new("source", source), new("result", "ok"));
            return new JobResult(OutcomeKind.Completed);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new JobResult(OutcomeKind.Cancelled) { Error = "stopped by drain", Class = new ErrorClass("cancelled", null, true) };
        }
        catch (Exception e)
        {
            PipelineMetrics.Jobs.Add(1, new("source", source), new("result", "failed"));
            return JobResult.Failure(e);
        }
    }

    /// <summary>Runs <paramref name="job"/> through its model's pipeline and says how it ended; never throws.</summary>
    public static async Task<JobResult> RunAsync(ModelPipeline model, FileRestoreJob job, CancellationToken ct)
    {
        try
        {
            Task<JobReport> done = await model.Pipeline.SubmitAsync(job, ct).ConfigureAwait(false);
            JobReport report = await done.ConfigureAwait(false);
            return job.Diverted
                ? new JobResult(OutcomeKind.Review) { Report = report, Error = $"held for review: output below its fidelity threshold ({job.WrittenPath})", HeldOutput = job.WrittenPath }
                : new JobResult(OutcomeKind.Completed) { Report = report };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new JobResult(OutcomeKind.Cancelled) { Error = "stopped by drain", Class = new ErrorClass("cancelled", null, true) };
        }
        catch (Exception e)
        {
            return JobResult.Failure(e);
        }
    }
}
